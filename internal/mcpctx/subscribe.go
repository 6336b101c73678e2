package mcpctx

import (
	"bytes"
	"context"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// watcher polls one subscribed resource and tells the server's subscribers
// when its text changes. A task log is polled often and ends with its task;
// anything else is polled slowly. It stops once no subscribed session is
// left (unsubscribed or closed).
type watcher struct {
	uri      string
	sessions map[*mcp.ServerSession]bool
	stop     context.CancelFunc
}

// subscribe reads the resource first, so a URI the allowlists refuse or that
// does not exist is refused with the read's error, then watches it.
func (x *Context) subscribe(ctx context.Context, req *mcp.SubscribeRequest) error {
	uri := req.Params.URI
	body, done, err := x.readURI(ctx, uri)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if w := x.subs[uri]; w != nil {
		w.sessions[req.Session] = true
		x.follow(req.Session)
		return nil
	}
	if done {
		return nil // an ended task's log changes no more: nothing to watch
	}
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	w := &watcher{uri: uri, sessions: map[*mcp.ServerSession]bool{req.Session: true}, stop: stop}
	x.subs[uri] = w
	x.follow(req.Session)
	go x.watch(wctx, w, body)
	return nil
}

func (x *Context) unsubscribe(_ context.Context, req *mcp.UnsubscribeRequest) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if w := x.subs[req.Params.URI]; w != nil {
		delete(w.sessions, req.Session)
		if len(w.sessions) == 0 {
			x.drop(w)
		}
	}
	return nil
}

// drop ends w; x.mu is held.
func (x *Context) drop(w *watcher) {
	w.stop()
	if x.subs[w.uri] == w {
		delete(x.subs, w.uri)
	}
}

func (x *Context) watch(ctx context.Context, w *watcher, last []byte) {
	every := x.opts.OtherPoll
	if t, err := parseURI(w.uri); err == nil && t.kind == "tasklog" {
		every = x.opts.TaskPoll
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		body, done, err := x.readURI(ctx, w.uri)
		if err != nil {
			// A guest deleted or moved, a node down: say so once and stop;
			// the client's next read shows the error.
			x.log.Debug("subscribed resource unreadable", "uri", w.uri, "err", err)
			done = true
		}
		if err != nil || !bytes.Equal(body, last) {
			last = body
			x.notify(ctx, w.uri)
		}
		if done {
			x.mu.Lock()
			x.drop(w)
			x.mu.Unlock()
			return
		}
	}
}

// follow drops sess's subscriptions once it ends; x.mu is held.
func (x *Context) follow(sess *mcp.ServerSession) {
	if x.followed[sess] {
		return
	}
	x.followed[sess] = true
	go func() {
		_ = sess.Wait()
		x.mu.Lock()
		defer x.mu.Unlock()
		delete(x.followed, sess)
		for _, w := range x.subs {
			delete(w.sessions, sess)
			if len(w.sessions) == 0 {
				x.drop(w)
			}
		}
	}()
}

func (x *Context) notify(ctx context.Context, uri string) {
	x.mu.Lock()
	s := x.server
	x.mu.Unlock()
	if s == nil {
		return
	}
	if err := s.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: uri}); err != nil {
		x.log.Debug("resource updated notification", "uri", uri, "err", err)
	}
}
