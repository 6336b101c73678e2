package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
)

// reloadOnHangup re-reads PVE_CONFIG_FILE on each SIGHUP until ctx ends.
// A file with problems is not taken: the running clusters and policies
// stay, and each problem is logged.
func reloadOnHangup(ctx context.Context, b *server.Built, path string, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reload(b, path, logger)
		}
	}
}

func reload(b *server.Built, path string, logger *slog.Logger) {
	cs, err := config.LoadFile(path, os.LookupEnv)
	if err == nil {
		err = b.Reload(cs)
	}
	if err != nil {
		logger.Error("PVE_CONFIG_FILE not reloaded: the running configuration stays", "err", err)
		return
	}
	logger.Info("PVE_CONFIG_FILE reloaded", "clusters", cs.Names(), "default", cs.Default, "policies", len(cs.Policies))
}
