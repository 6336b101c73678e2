package pvesim

// nodeSysRoutes: a node's system endpoints (time, dns, services, logs, apt, disks, report).
func (s *Sim) nodeSysRoutes() []route {
	return nil
}
