package pvesim

// haRoutes: high availability (/cluster/ha), replication and bulk actions.
func (s *Sim) haRoutes() []route {
	return nil
}
