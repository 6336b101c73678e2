package tools

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

type storageListArgs struct {
	Node NodeName `json:"node"`
	pageArgs
}

type contentArgs struct {
	Node    NodeName  `json:"node"`
	Storage StorageID `json:"storage" jsonschema:"storage id, e.g. local"`
	Content string    `json:"content,omitempty" enum:"iso,vztmpl,images,backup,rootdir,snippets" jsonschema:"only this content type"`
	volumeFilters
	pageArgs
}

// volumeFilters narrow a storage's volumes.
type volumeFilters struct {
	VMID VMID   `json:"vmid,omitempty" jsonschema:"only this guest's"`
	Name string `json:"name,omitempty" jsonschema:"volid part or glob"`
}

func (f volumeFilters) apply(q url.Values) []match {
	if f.VMID != 0 {
		q.Set("vmid", strconv.Itoa(int(f.VMID)))
	}
	return []match{{"volid", f.Name, pattern}}
}

// contentList leaves out the verification objects and other detail.
var contentList = listSpec{fields: []string{"volid", "content", "format", "size", "vmid", "ctime", "notes", "protected"}, sort: "volid"}

type downloadArgs struct {
	Node              NodeName    `json:"node" jsonschema:"node that downloads"`
	Storage           StorageID   `json:"storage" jsonschema:"storage to save to, e.g. local"`
	URL               string      `json:"url" maxLength:"2048" jsonschema:"http or https URL to fetch"`
	Filename          FileName    `json:"filename" maxLength:"255" jsonschema:"file name to save as, e.g. debian-12.iso"`
	Content           string      `json:"content,omitempty" enum:"iso,vztmpl" default:"iso" jsonschema:"iso image or container template"`
	Checksum          HexChecksum `json:"checksum,omitempty" jsonschema:"expected checksum (hex)"`
	ChecksumAlgorithm string      `json:"checksumAlgorithm,omitempty" enum:"md5,sha1,sha224,sha256,sha384,sha512" jsonschema:"algorithm of checksum"`
	Confirm           bool        `json:"confirm,omitempty" jsonschema:"needed to replace an existing file"`
}

func storageTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_list_storage", title: "List storage", toolset: "storage",
			desc: "Storages of a node with type, content and space.", output: listSchema("GET /nodes/{node}/storage entries", "storage: id", "type: dir, lvmthin, zfspool, nfs...", "content: content types", "active: 1 when usable", "total: bytes", "used: bytes", "avail: bytes")},
			handle(func(ctx context.Context, c *call, in storageListArgs) (listOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return listOut{}, err
				}
				pg, err := newPager(in.pageArgs, listSpec{sort: "storage"})
				if err != nil {
					return listOut{}, err
				}
				return c.listPage(ctx, "list storage on "+string(in.Node), pve.Path("nodes", string(in.Node), "storage"), nil, func(entry) bool { return true }, pg)
			})),
		define(d, spec{name: "pve_storage_content", title: "Storage content", toolset: "storage",
			desc: "Volumes on a storage (ISOs, templates, disks, backups).", output: listSchema("GET .../storage/{storage}/content entries", "volid: volume id", "content: iso, vztmpl, images, rootdir or backup", "format: e.g. iso, raw, vma.zst", "size: bytes", "vmid: owning guest", "ctime: unix time", "notes: backup notes")},
			handle(func(ctx context.Context, c *call, in contentArgs) (listOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return listOut{}, err
				}
				q := url.Values{}
				if in.Content != "" {
					q.Set("content", in.Content)
				}
				pg, err := newPager(in.pageArgs, contentList, in.apply(q)...)
				if err != nil {
					return listOut{}, err
				}
				return c.listPage(ctx, fmt.Sprintf("list content of %s on %s", in.Storage, in.Node),
					pve.Path("nodes", string(in.Node), "storage", string(in.Storage), "content"), q, c.allowedVolume(ctx), pg)
			})),
		define(d, spec{name: "pve_download_iso", title: "Download ISO or template", toolset: "storage", effect: Mutating,
			desc: "Download an ISO or container template from an http(s) URL into a storage (PVE 7.2+)."},
			handle(func(ctx context.Context, c *call, in downloadArgs) (taskOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return taskOut{}, err
				}
				if err := checkDownloadURL(ctx, in.URL, c.AllowPrivateDownloads, c.Resolver); err != nil {
					return taskOut{}, err
				}
				if in.Checksum != "" && in.ChecksumAlgorithm == "" || in.Checksum == "" && in.ChecksumAlgorithm != "" {
					return taskOut{}, fmt.Errorf("invalid arguments: checksum and checksumAlgorithm go together; give both or neither")
				}
				if err := checkDownloadName(string(in.Filename), in.Content); err != nil {
					return taskOut{}, err
				}
				v, err := c.nodeVersion(ctx, in.Node)
				if err != nil {
					return taskOut{}, fmt.Errorf("check the Proxmox version of %s: %w", in.Node, err)
				}
				if !v.AtLeast(7, 2) {
					return taskOut{}, fmt.Errorf("download needs Proxmox VE 7.2 or later (its download-url API); node %s runs %s", in.Node, v.Version)
				}
				form := url.Values{"content": {in.Content}, "url": {in.URL}, "filename": {string(in.Filename)}}
				if in.Checksum != "" {
					form.Set("checksum", string(in.Checksum))
					form.Set("checksum-algorithm", in.ChecksumAlgorithm)
				}
				out := taskOut{Action: "download", Node: string(in.Node), Storage: string(in.Storage), Filename: string(in.Filename)}
				what := fmt.Sprintf("download %s to %s on %s", in.Filename, in.Storage, in.Node)
				return c.postTask(ctx, what, pve.Path("nodes", string(in.Node), "storage", string(in.Storage), "download-url"), form, out)
			})),
	}
}

// allowedVolume hides volumes of guests outside PVE_VMID_ALLOWLIST and, on
// shared storage, of guests on nodes outside PVE_NODE_ALLOWLIST.
func (c *call) allowedVolume(ctx context.Context) func(entry) bool {
	return func(e entry) bool { return e.VMID == 0 || c.PVE.GuestAllowed(ctx, int(e.VMID)) }
}

// nodeVersion asks the node that will download for its version (nodes of a
// cluster can differ during an upgrade); the cluster's answer is the fallback.
func (c *call) nodeVersion(ctx context.Context, node NodeName) (pve.Version, error) {
	var v pve.Version
	err := c.PVE.Get(ctx, pve.Path("nodes", string(node), "version"), nil, &v)
	if err == nil && v.Version != "" {
		return v, nil
	}
	return c.PVE.Version(ctx)
}

var downloadExt = map[string][]string{
	"iso":    {".iso", ".img"},
	"vztmpl": {".tar.gz", ".tar.xz", ".tar.zst", ".tgz", ".tar.bz2"},
}

// checkDownloadName refuses names Proxmox would refuse for the content type.
func checkDownloadName(name, content string) error {
	for _, ext := range downloadExt[content] {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return nil
		}
	}
	return fmt.Errorf("invalid argument \"filename\": %q does not end in %s, which Proxmox requires for content %s",
		name, strings.Join(downloadExt[content], ", "), content)
}
