package pvesim

// accessRoutes: users, groups, domains, roles, ACLs and tokens under /access.
func (s *Sim) accessRoutes() []route {
	return nil
}
