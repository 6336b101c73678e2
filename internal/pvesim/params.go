package pvesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// readParams collects query (GET/DELETE) or body (POST/PUT) parameters,
// the query winning over the body for a key in both (extract_params).
// shapes marks the keys a JSON body gave an array ("ARRAY") or an object
// ("HASH"): Perl keeps them so, and a scalar parameter refuses them.
func readParams(r *http.Request) (q url.Values, shapes map[string]string, err error) {
	q = r.URL.Query()
	shapes = map[string]string{}
	if r.Method == "GET" || r.Method == "DELETE" || r.Body == nil {
		return q, shapes, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPostSize+1))
	if err != nil {
		return q, shapes, &apiError{status: 400, msg: "unable to read request body: " + err.Error() + "\n"}
	}
	// A second read must see the same body (auth + params both call us).
	r.Body = io.NopCloser(bytes.NewReader(body))
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	form := url.Values{}
	switch {
	case len(bytes.TrimSpace(body)) == 0:
	case ct == "application/json":
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return q, shapes, &apiError{status: 400, msg: "unable to parse JSON body: " + err.Error() + "\n"}
		}
		for k, v := range m {
			switch x := v.(type) {
			case []any:
				shapes[k] = "ARRAY"
				for _, e := range x {
					form.Add(k, jsonParam(e))
				}
				continue
			case map[string]any:
				shapes[k] = "HASH"
			}
			form.Set(k, jsonParam(v))
		}
	case ct == "" || ct == "application/x-www-form-urlencoded":
		if form, err = url.ParseQuery(string(body)); err != nil {
			return q, shapes, &apiError{status: 400, msg: "unable to parse form body: " + err.Error() + "\n"}
		}
	default:
		// pveproxy names the header as sent, parameters and all
		return q, shapes, &apiError{status: 506, msg: fmt.Sprintf("upload 'Content-Type '%s' not implemented", r.Header.Get("Content-Type"))}
	}
	for k, vs := range q {
		form[k] = vs
		delete(shapes, k)
	}
	return form, shapes, nil
}

// shapeErrors are JSONSchema's check_type failures of arrays and objects
// given to parameters of another type.
func shapeErrors(ep *pveschema.Endpoint, shapes map[string]string) map[string]string {
	var errs map[string]string
	for k, shape := range shapes {
		p, ok := ep.Param(k)
		if !ok || p.Type == "" || (shape == "ARRAY" && p.Type == "array") || (shape == "HASH" && p.Type == "object") {
			continue
		}
		if errs == nil {
			errs = map[string]string{}
		}
		errs[k] = fmt.Sprintf("type check ('%s') failed - got %s", p.Type, shape)
	}
	return errs
}

// jsonParam turns a JSON body value into the string the form would carry;
// JSON booleans are accepted there.
func jsonParam(v any) string {
	switch x := v.(type) {
	case bool:
		return pve.Bool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}
