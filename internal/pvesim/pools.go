package pvesim

// poolRoutes: resource pools (/pools).
func (s *Sim) poolRoutes() []route {
	return nil
}
