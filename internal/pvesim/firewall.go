package pvesim

// firewallRoutes: the firewall of the cluster, the nodes and the guests.
func (s *Sim) firewallRoutes() []route {
	return nil
}
