package pvesim

import (
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The appliance index (GET /nodes/{node}/aplinfo, pveam available) and the
// template download (POST, pveam download). The index is what
// PVE::APLInfo::load_data reads from the release's aplinfo-pve-N.dat and
// TurnKey's aplinfo.dat: a small, realistic excerpt. The checksums are
// made up (the downloads are simulated), stable per template.

type appliance struct {
	pkg, version, os, section, arch, location, headline, description, infopage string
	turnkey, md5                                                               bool
}

const (
	pveImages   = "http://download.proxmox.com/images"
	turnkeySrc  = "https://releases.turnkeylinux.org/pve"
	pveTeam     = "Proxmox Support Team <support@proxmox.com>"
	lxcInfopage = "https://linuxcontainers.org"
	pctInfopage = "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions"
)

func debianStd(major int, codename, version string) appliance {
	return appliance{pkg: fmt.Sprintf("debian-%d-standard", major), version: version, os: fmt.Sprintf("debian-%d", major),
		section: "system", arch: "amd64", location: fmt.Sprintf("system/debian-%d-standard_%s_amd64.tar.zst", major, version),
		headline:    fmt.Sprintf("Debian %d %s (standard)", major, codename),
		description: fmt.Sprintf("A small Debian %s system including all standard packages.", codename), infopage: pctInfopage}
}

func ubuntuStd(rel, codename, version string) appliance {
	return appliance{pkg: "ubuntu-" + rel + "-standard", version: version, os: "ubuntu-" + rel, section: "system", arch: "amd64",
		location: "system/ubuntu-" + rel + "-standard_" + version + "_amd64.tar.zst",
		headline: "Ubuntu " + rel + " " + codename + " (standard)", description: "A small Ubuntu " + rel + " " + codename +
			" system including all standard packages.", infopage: pctInfopage}
}

func lxcDefault(os, rel, version, ext string) appliance {
	return appliance{pkg: os + "-" + rel + "-default", version: version, os: os, section: "system", arch: "amd64",
		location: "system/" + os + "-" + rel + "-default_" + version + "_amd64.tar." + ext,
		headline: "LXC default image for " + os + " " + rel + " (" + version + ")", infopage: lxcInfopage, md5: true}
}

func turnkey(name, title, tagline, debian, version string) appliance {
	return appliance{pkg: "turnkey-" + name, version: version, os: "debian-" + debian, section: "turnkeylinux", arch: "amd64",
		location: "http://mirror.turnkeylinux.org/turnkeylinux/images/proxmox/debian-" + debian + "-turnkey-" + name + "_" + version + "_amd64.tar.gz",
		headline: "TurnKey " + title, description: "TurnKey " + title + " - " + tagline, infopage: "https://www.turnkeylinux.org/" + name, turnkey: true}
}

// appliances is the index of a PVE major.
func appliances(major int) []appliance {
	switch major {
	case 7:
		return []appliance{
			debianStd(10, "Buster", "10.7-1"), debianStd(11, "Bullseye", "11.7-1"),
			ubuntuStd("20.04", "Focal", "20.04-1"), ubuntuStd("22.04", "Jammy", "22.04-1"),
			lxcDefault("alpine", "3.17", "20221129", "xz"), lxcDefault("alpine", "3.18", "20230607", "xz"),
			lxcDefault("rockylinux", "9", "20221109", "xz"), lxcDefault("almalinux", "9", "20221108", "xz"),
			turnkey("wordpress", "WordPress", "Blog Publishing Platform", "11", "17.1-1"),
			turnkey("nextcloud", "Nextcloud", "Store, share and access your files", "11", "17.2-1"),
		}
	case 8:
		return []appliance{
			debianStd(11, "Bullseye", "11.7-1"), debianStd(12, "Bookworm", "12.7-1"),
			ubuntuStd("22.04", "Jammy", "22.04-1"), ubuntuStd("24.04", "Noble", "24.04-2"),
			lxcDefault("alpine", "3.19", "20240207", "xz"), lxcDefault("alpine", "3.20", "20240908", "xz"),
			lxcDefault("rockylinux", "9", "20240912", "xz"), lxcDefault("almalinux", "9", "20240911", "xz"),
			lxcDefault("fedora", "41", "20241118", "xz"),
			turnkey("wordpress", "WordPress", "Blog Publishing Platform", "12", "18.1-1"),
			turnkey("nextcloud", "Nextcloud", "Store, share and access your files", "12", "18.1-1"),
		}
	}
	return []appliance{
		debianStd(12, "Bookworm", "12.12-1"), debianStd(13, "Trixie", "13.1-2"),
		ubuntuStd("24.04", "Noble", "24.04-2"), ubuntuStd("25.04", "Plucky", "25.04-1.1"),
		lxcDefault("alpine", "3.20", "20240908", "xz"), lxcDefault("alpine", "3.22", "20250617", "xz"),
		lxcDefault("rockylinux", "9", "20240912", "xz"), lxcDefault("almalinux", "9", "20240911", "xz"),
		lxcDefault("fedora", "42", "20250428", "xz"),
		turnkey("wordpress", "WordPress", "Blog Publishing Platform", "12", "18.1-1"),
		turnkey("nextcloud", "Nextcloud", "Store, share and access your files", "12", "18.1-1"),
	}
}

// record is the appliance as read_aplinfo_from_fh stores it.
func (a appliance) record() map[string]any {
	tmpl := a.location[strings.LastIndex(a.location, "/")+1:]
	src, loc := pveImages, pveImages+"/"+a.location
	if a.turnkey {
		src, loc = turnkeySrc, a.location
	}
	sha := sha512.Sum512([]byte("aplinfo " + tmpl))
	m := map[string]any{
		"package": a.pkg, "version": a.version, "type": "lxc", "os": a.os, "section": a.section,
		"architecture": a.arch, "location": loc, "infopage": a.infopage, "headline": a.headline,
		"description": a.description, "sha512sum": hex.EncodeToString(sha[:]), "source": src, "template": tmpl,
	}
	if a.turnkey {
		m["manageurl"] = "https://__IPADDRESS__/"
	} else {
		m["maintainer"] = pveTeam
	}
	if a.md5 {
		sum := md5.Sum([]byte("aplinfo " + tmpl))
		m["md5sum"] = hex.EncodeToString(sum[:])
	}
	return m
}

func (s *Sim) aplinfoList(c *call) (any, error) {
	out := []map[string]any{}
	for _, a := range appliances(s.major()) {
		out = append(out, a.record())
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["template"].(string) < out[j]["template"].(string) })
	return out, nil
}

// aplDownload is apl_download: a "download" task that puts the template
// into the storage's vztmpl content (download_file_from_url with
// hash_required).
func (s *Sim) aplDownload(c *call) (any, error) {
	nodeName, sid, tmpl := c.params["node"], c.params["storage"], c.params["template"]
	var rec map[string]any
	for _, a := range appliances(s.major()) {
		if r := a.record(); r["template"] == tmpl {
			rec = r
		}
	}
	if rec == nil {
		return nil, paramErr("template", "no such template")
	}
	d := c.st.storageDef(sid)
	if d == nil {
		return nil, failf("storage '%s' does not exist", sid)
	}
	ns := c.st.storageOn(nodeName, sid)
	if ns == nil {
		return nil, failf("storage '%s' is not available on node '%s'", sid, nodeName)
	}
	if !hasContent(d, "vztmpl") {
		return nil, failf("storage '%s' does not support templates", sid)
	}
	loc := rec["location"].(string)
	dest := d.path + "/template/cache/" + tmpl
	volid := sid + ":vztmpl/" + tmpl
	size := downloadSize(tmpl) / 3
	var lines []taskLine
	dur := time.Second
	if ns.vols[volid] != nil {
		lines = at(0.5, "calculating checksum of existing file...", "OK, got correct file already, no need to download")
	} else {
		lines = wgetLines(loc, dest, fmt.Sprintf("%s.tmp_dwnl.%d", dest, c.st.nextPID+1), size, c.now)
		lines = append(lines, taskLine{at: 0.97, text: "calculating checksum...OK, checksum verified"},
			taskLine{at: 1, text: "download of '" + loc + "' to '" + dest + "' finished"})
		dur = 2*time.Second + time.Duration(size/(50<<20))*time.Second
	}
	format := "t" + tmpl[strings.LastIndex(tmpl, ".")+1:]
	if strings.HasSuffix(tmpl, ".tar.zst") {
		format = "tzst"
	}
	return c.startTask(taskSpec{typ: "download", id: encodeText(tmpl), dur: dur, lines: lines,
		onOK: func(end time.Time) error {
			if ns.vols[volid] == nil {
				c.st.addVolume(nodeName, &volume{volid: volid, content: "vztmpl", format: format, size: size, ctime: end.Unix()})
			}
			return nil
		}})
}

// wgetLines is the output of `wget --progress=dot:giga` as
// download_file_from_url logs it.
func wgetLines(rawURL, dest, tmp string, size int64, start time.Time) []taskLine {
	host := urlHost(rawURL)
	stamp := start.Format("2006-01-02 15:04:05")
	lines := at(0, "downloading "+rawURL+" to "+dest, "--"+stamp+"--  "+rawURL,
		"Resolving "+host+" ("+host+")... 203.0.113.10",
		"Connecting to "+host+" ("+host+")|203.0.113.10|:443... connected.",
		"HTTP request sent, awaiting response... 200 OK",
		fmt.Sprintf("Length: %d (%dM) [application/octet-stream]", size, size>>20),
		"Saving to: '"+tmp+"'")
	chunks := int(size / (32 << 20))
	for i := 1; i <= chunks; i++ {
		pct := int(float64(i) * float64(32<<20) / float64(size) * 100)
		lines = append(lines, taskLine{at: 0.05 + 0.85*float64(i)/float64(chunks+1),
			text: fmt.Sprintf("%6dK ........ ........ ........ ........ %2d%% 48.2M %ds", i*32768, pct, chunks-i+1)})
	}
	return append(lines, taskLine{at: 0.92, text: fmt.Sprintf("%6dK ........                           100%% 51.0M=%ds", (chunks+1)*32768, chunks+1)},
		taskLine{at: 0.93, text: ""},
		taskLine{at: 0.93, text: stamp + " (48.7 MB/s) - '" + tmp + fmt.Sprintf("' saved [%d/%d]", size, size)},
		taskLine{at: 0.93, text: ""})
}
