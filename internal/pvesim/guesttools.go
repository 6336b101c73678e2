package pvesim

// guestToolRoutes: guest pre-flight reads, cloud-init, unlink, uploads and appliance templates.
func (s *Sim) guestToolRoutes() []route {
	return nil
}
