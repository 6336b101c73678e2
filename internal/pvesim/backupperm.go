package pvesim

// Permission rules of vzdump and backup jobs (pve-manager PVE/API2/Backup.pm
// and VZDump.pm). root@pam passes all; API tokens, even root's, do not.

// backupParamPerm is assert_param_permission_common: tmpdir, dumpdir, script
// and job-id are root-only even when empty; bwlimit, ionice and performance
// need Sys.Modify; a fleecing storage needs space.
func (c *call) backupParamPerm(params map[string]string, deleting bool) error {
	return c.op().backupParamPerm(params, deleting)
}

func (o op) backupParamPerm(params map[string]string, deleting bool) error {
	if o.user == rootUser {
		return nil
	}
	keys := []string{"tmpdir", "dumpdir", "script", "job-id"}
	if o.s.major() < 8 {
		keys = keys[:3] // job-id became root-only in PVE 8.2
	}
	for _, k := range keys {
		if _, ok := params[k]; ok {
			return paramErr(k, "Only root may set this option.")
		}
	}
	for _, k := range []string{"bwlimit", "ionice", "performance"} {
		if _, ok := params[k]; ok {
			if err := o.checkPriv("/", "Sys.Modify"); err != nil {
				return err
			}
			break
		}
	}
	if f := params["fleecing"]; f != "" && !deleting {
		if sid := parsePropString(f, "enabled").get("storage"); sid != "" {
			return o.checkPriv("/storage/"+sid, "Datastore.AllocateSpace")
		}
	}
	return nil
}

// backupStorage is get_storage_param: none with a dumpdir, else the storage
// or "local".
func backupStorage(opts map[string]string) string {
	if opts["dumpdir"] != "" {
		return ""
	}
	if s := opts["storage"]; s != "" {
		return s
	}
	return "local"
}

// vzdumpPerm is assert_param_permission_vzdump.
func (o op) vzdumpPerm(a vzdumpArgs) error {
	// the options as the rules read them: which were sent, and the
	// values of those whose value counts
	opts := map[string]string{}
	for _, k := range a.sent {
		opts[k] = ""
	}
	for k, v := range map[string]string{"fleecing": a.fleecing, "dumpdir": a.dumpdir, "storage": a.storage} {
		if _, ok := opts[k]; ok {
			opts[k] = v
		}
	}
	if err := o.backupParamPerm(opts, false); err != nil || o.user == rootUser {
		return err
	}
	if _, ok := opts["prune-backups"]; ok {
		if sid := backupStorage(opts); sid != "" {
			return o.checkPriv("/storage/"+sid, "Datastore.Allocate")
		}
	}
	return nil
}

// jobCreatePerm is assert_param_permission_create plus the pool check.
func (c *call) jobCreatePerm(opts map[string]string) error {
	if err := c.backupParamPerm(opts, false); err != nil {
		return err
	}
	if c.authid != rootUser && c.s.major() >= 8 {
		if sid := backupStorage(opts); sid != "" {
			if err := c.checkPriv("/storage/"+sid, "Datastore.Allocate"); err != nil {
				return err
			}
		}
	}
	if p := opts["pool"]; p != "" {
		if c.st.pools[p] == nil {
			return failf("pool '%s' does not exist", p)
		}
		return c.checkPriv("/pool/"+p, "VM.Backup")
	}
	return nil
}

// jobUpdatePerm is assert_param_permission_update; job is the current job
// (nil for the early check before it is loaded).
func (c *call) jobUpdatePerm(set map[string]string, del []string, job *backupJob) error {
	delSet := map[string]string{}
	for _, k := range del {
		delSet[k] = "1"
	}
	if c.authid == rootUser {
		return nil
	}
	if err := c.backupParamPerm(set, false); err != nil {
		return err
	}
	if err := c.backupParamPerm(delSet, true); err != nil {
		return err
	}
	if c.s.major() < 8 {
		return nil
	}
	switch {
	case set["storage"] != "":
		if err := c.checkPriv("/storage/"+set["storage"], "Datastore.Allocate"); err != nil {
			return err
		}
	case delSet["storage"] != "":
		if err := c.checkPriv("/storage/local", "Datastore.Allocate"); err != nil {
			return err
		}
	}
	if job == nil {
		return nil
	}
	if job.opts["dumpdir"] != "" {
		return failf("%s", c.s.perlDie("only root@pam may edit jobs with a 'dumpdir' option.", "PVE/API2/Backup.pm", backupDumpdirLines))
	}
	if sid := backupStorage(job.opts); sid != "" {
		return c.checkPriv("/storage/"+sid, "Datastore.Allocate")
	}
	return nil
}

// backupDumpdirLines is where that die sits in PVE/API2/Backup.pm
// (pve-manager 8.4.1, 9.1.3).
var backupDumpdirLines = map[int]int{8: 84, 9: 85}
