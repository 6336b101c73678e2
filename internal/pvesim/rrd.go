package pvesim

import (
	"math"
	"strconv"
	"strings"
)

const rrdDir = "/var/lib/rrdcached/db/"

// rrdRoutes: RRD statistics of nodes, guests and storage (rrddata, rrd).
func (s *Sim) rrdRoutes() []route {
	r := []route{
		{method: "GET", tmpl: "/nodes/{node}/rrddata", h: s.nodeRRDData},
		{method: "GET", tmpl: "/nodes/{node}/rrd", h: s.nodeRRDGraph},
		{method: "GET", tmpl: "/nodes/{node}/storage/{storage}/rrddata", h: s.storageRRDData},
		{method: "GET", tmpl: "/nodes/{node}/storage/{storage}/rrd", h: s.storageRRDGraph},
	}
	for _, kind := range []guestKind{kindQemu, kindLXC} {
		g := "/nodes/{node}/" + string(kind) + "/{vmid}"
		r = append(r, kindRoute(kind, "GET", g+"/rrddata", s.guestRRDData), kindRoute(kind, "GET", g+"/rrd", s.guestRRDGraph))
	}
	return r
}

// rrdMissing is RRDs::fetch failing through rrdcached on a file that does
// not exist (a vmid without statistics, a storage the node lacks).
func rrdMissing(path string) error {
	return failf("RRD error: rrdcached: rrd_fetch_r failed: opening '%s%s': No such file or directory", rrdDir, path)
}

// nodeSource, guestSource and storageSource find the RRD file of the request.
func (s *Sim) nodeSource(c *call) (*rrdSource, error) {
	return s.nodeRRD(c.st, c.st.node(c.params["node"]), c.now.Unix()), nil
}

// guestSource: the file is per vmid, cluster wide, so Perl neither checks
// the node nor the kind of guest; a vmid without a file is an RRD error.
func (s *Sim) guestSource(c *call) (*rrdSource, error) {
	vmid, _ := strconv.Atoi(c.params["vmid"])
	g := c.st.guests[vmid]
	if g == nil {
		return nil, rrdMissing(s.rrdPath("vm", c.params["vmid"]))
	}
	return s.guestRRD(c.st, g, c.now.Unix()), nil
}

func (s *Sim) storageSource(c *call) (*rrdSource, error) {
	n := c.st.node(c.params["node"])
	ns := c.st.storageOn(n.name, c.params["storage"])
	if ns == nil {
		return nil, rrdMissing(s.rrdPath("storage", n.name+"/"+c.params["storage"]))
	}
	return s.storageRRD(n, ns, c.now.Unix()), nil
}

func (s *Sim) nodeRRDData(c *call) (any, error) { return s.rrdData(c, s.nodeSource) }

func (s *Sim) nodeRRDGraph(c *call) (any, error) { return s.rrdGraph(c, s.nodeSource) }

func (s *Sim) guestRRDData(c *call, _ guestKind) (any, error) { return s.rrdData(c, s.guestSource) }

func (s *Sim) guestRRDGraph(c *call, _ guestKind) (any, error) { return s.rrdGraph(c, s.guestSource) }

func (s *Sim) storageRRDData(c *call) (any, error) { return s.rrdData(c, s.storageSource) }

// storageRRDGraph: Status.pm graphs the pve2-storage file even on PVE 9;
// the simulator draws the storage's history under that name.
func (s *Sim) storageRRDGraph(c *call) (any, error) {
	return s.rrdGraph(c, func(c *call) (*rrdSource, error) {
		src, err := s.storageSource(c)
		if src != nil {
			src.path = "pve2-storage/" + c.params["node"] + "/" + c.params["storage"]
		}
		return src, err
	})
}

func rrdCF(c *call) string {
	if cf := c.params["cf"]; cf != "" {
		return cf
	}
	return "AVERAGE"
}

// rrdData is create_rrd_data: a row per bucket with "time" and every data
// source that has a value; PVE 9 drops a still empty newest row.
func (s *Sim) rrdData(c *call, find func(*call) (*rrdSource, error)) (any, error) {
	src, err := find(c)
	if err != nil {
		return nil, err
	}
	times, rows := src.rows(s.rrdFrameFor(c.params["timeframe"], false), rrdCF(c), c.now.Unix())
	out := make([]map[string]any, 0, len(rows))
	for i, row := range rows {
		m := map[string]any{"time": times[i]}
		for j, v := range row {
			if !math.IsNaN(v) {
				m[src.fields[j]] = round15(v)
			}
		}
		out = append(out, m)
	}
	if s.major() >= 9 && len(out) > 0 && len(out[len(out)-1]) == 1 {
		out = out[:len(out)-1]
	}
	return out, nil
}

// rrdGraph is create_rrd_graph: RRDs::graphv renders an 800x200 PNG of up
// to two data sources; the answer carries the file name and the image (as
// a string of bytes, which Perl's JSON encodes as Latin-1 characters).
func (s *Sim) rrdGraph(c *call, find func(*call) (*rrdSource, error)) (any, error) {
	ids := splitList(strings.ReplaceAll(c.params["ds"], "\x00", ","))
	if len(ids) > len(rrdGraphColors) {
		return nil, failf("fixme: no color definition")
	}
	src, err := find(c)
	if err != nil {
		return nil, err
	}
	filename := rrdDir + src.path + "_" + strings.Join(ids, "_") + ".png"
	var lines []graphLine
	times, rows := src.rows(s.rrdFrameFor(c.params["timeframe"], true), rrdCF(c), c.now.Unix())
	for i, id := range ids {
		j := src.field(id)
		if j < 0 {
			return nil, failf("RRD error: No DS called '%s' in '%s%s'", id, rrdDir, src.path)
		}
		scale := 1.0
		if id == "cpu" || id == "iowait" {
			scale = 100 // CDEF:<id>_per=<id>,100,*
		}
		ln := graphLine{color: rrdGraphColors[i], ys: make([]float64, len(rows))}
		for k, row := range rows {
			ln.ys[k] = row[j] * scale
		}
		lines = append(lines, ln)
	}
	img, err := renderGraph(times, lines)
	if err != nil {
		return nil, failf("RRD error: %v", err)
	}
	return map[string]any{"filename": filename, "image": latin1(img)}, nil
}

// latin1 makes each byte one character, as Perl sees a byte string.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, x := range b {
		r[i] = rune(x)
	}
	return string(r)
}
