package pvesim

// clusterMoreRoutes: cluster options, log and backup audits.
func (s *Sim) clusterMoreRoutes() []route {
	return nil
}
