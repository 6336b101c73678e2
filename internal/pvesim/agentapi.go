package pvesim

// agentRoutes: the QEMU guest agent endpoints.
func (s *Sim) agentRoutes() []route {
	return nil
}
