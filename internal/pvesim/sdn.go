package pvesim

// sdnRoutes: software-defined networking (/cluster/sdn).
func (s *Sim) sdnRoutes() []route {
	return nil
}
