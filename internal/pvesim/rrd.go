package pvesim

// rrdRoutes: RRD statistics of nodes, guests and storage (rrddata, rrd).
func (s *Sim) rrdRoutes() []route {
	return nil
}
