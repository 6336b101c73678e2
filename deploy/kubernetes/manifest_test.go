package kubernetes

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifests are what kustomization.yaml applies, decoded.
type manifests struct {
	deployment *appsv1.Deployment
	service    *corev1.Service
	pdb        *policyv1.PodDisruptionBudget
	namespace  *corev1.Namespace
	secret     *corev1.Secret // secret.example.yaml, not applied
}

// kustomization is the part of kustomize's Kustomization used here; strict
// decoding fails on any other field, so a new one is noticed.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
}

// decode reads one object strictly: an unknown field, a duplicate key or a
// value of the wrong type fails, as kubectl's server-side validation would.
func decode(t *testing.T, file string, into any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func load(t *testing.T) *manifests {
	t.Helper()
	var k kustomization
	decode(t, "kustomization.yaml", &k)
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" || k.Namespace == "" {
		t.Fatalf("kustomization.yaml: %+v", k)
	}
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		if f != "kustomization.yaml" && f != "secret.example.yaml" {
			want = append(want, f)
		}
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, want) {
		t.Fatalf("kustomization.yaml lists %v; the manifests here are %v (secret.example.yaml must stay out)", got, want)
	}
	m := &manifests{}
	for _, f := range append(want, "secret.example.yaml") {
		// The kind first (leniently), then the whole object strictly.
		var tm metav1.TypeMeta
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &tm); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			m.deployment = &appsv1.Deployment{}
			obj = m.deployment
		case "v1 Service":
			m.service = &corev1.Service{}
			obj = m.service
		case "policy/v1 PodDisruptionBudget":
			m.pdb = &policyv1.PodDisruptionBudget{}
			obj = m.pdb
		case "v1 Namespace":
			m.namespace = &corev1.Namespace{}
			obj = m.namespace
		case "v1 Secret":
			m.secret = &corev1.Secret{}
			obj = m.secret
		default:
			t.Fatalf("%s: unexpected %s %s (add it to this test)", f, tm.APIVersion, tm.Kind)
		}
		decode(t, f, obj)
	}
	if m.deployment == nil || m.service == nil || m.pdb == nil || m.namespace == nil || m.secret == nil {
		t.Fatalf("missing a manifest: %+v", m)
	}
	if m.namespace.Name != k.Namespace {
		t.Errorf("namespace.yaml names %q, kustomization.yaml %q", m.namespace.Name, k.Namespace)
	}
	return m
}

// TestStrictDecoding catches what strict decoding must refuse, so that a
// passing TestManifests means something.
func TestStrictDecoding(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: 2\n",
		"wrong type":    "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: two\n",
		"duplicate key": "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 2\n  replicas: 3\n",
	} {
		if err := yaml.UnmarshalStrict([]byte(doc), &appsv1.Deployment{}); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestManifests(t *testing.T) {
	m := load(t)
	d := m.deployment
	pod := d.Spec.Template.Spec
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("replicas: %v, want at least 2", d.Spec.Replicas)
	}
	labels := d.Spec.Template.Labels
	for what, sel := range map[string]map[string]string{
		"deployment selector": d.Spec.Selector.MatchLabels, "service selector": m.service.Spec.Selector,
		"pdb selector": m.pdb.Spec.Selector.MatchLabels,
	} {
		if len(sel) == 0 {
			t.Errorf("%s is empty", what)
		}
		for k, v := range sel {
			if labels[k] != v {
				t.Errorf("%s %s=%s does not match the pod's labels %v", what, k, v, labels)
			}
		}
	}
	if m.service.Spec.SessionAffinity != "" && m.service.Spec.SessionAffinity != corev1.ServiceAffinityNone {
		t.Errorf("service has session affinity %q: the replicas are stateless", m.service.Spec.SessionAffinity)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if want := serverImage(t); c.Image != want {
		t.Errorf("image %q, want %q as in server.json", c.Image, want)
	}
	checkEnv(t, m, c)
	checkProbes(t, c, m.service)
	checkSecurity(t, pod, c)
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("no %s request", r)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Error("no memory limit")
	}
}

// serverImage is the OCI package server.json publishes.
func serverImage(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "server.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Packages []struct {
			RegistryType string `json:"registryType"`
			Identifier   string `json:"identifier"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	for _, p := range s.Packages {
		if p.RegistryType == "oci" {
			return p.Identifier
		}
	}
	t.Fatal("server.json: no oci package")
	return ""
}

func envMap(c corev1.Container) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}

func checkEnv(t *testing.T, m *manifests, c corev1.Container) {
	known := serverVars(t)
	env := envMap(c)
	if len(env) != len(c.Env) {
		t.Error("an environment variable is set twice")
	}
	for name := range env {
		if !known[name] {
			t.Errorf("env %s is not a variable the server reads (internal/config/vars.go)", name)
		}
	}
	for name, want := range map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_STATELESS": "true"} {
		if env[name].Value != want {
			t.Errorf("%s=%q, want %q", name, env[name].Value, want)
		}
	}
	// What the server refuses to start without on a non-loopback address.
	host, port, err := net.SplitHostPort(env["PVE_MCP_LISTEN"].Value)
	if err != nil || net.ParseIP(host) == nil || net.ParseIP(host).IsLoopback() {
		t.Errorf("PVE_MCP_LISTEN=%q: want a non-loopback address with a port", env["PVE_MCP_LISTEN"].Value)
	}
	if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool {
		return p.Name == "http" && strconv.Itoa(int(p.ContainerPort)) == port
	}) {
		t.Errorf("no container port named http with the listen port %s: %v", port, c.Ports)
	}
	if env["PVE_MCP_ALLOWED_HOSTS"].Value == "" {
		t.Error("no PVE_MCP_ALLOWED_HOSTS: the server refuses to listen on all interfaces without it")
	}
	if !strings.Contains(env["PVE_MCP_ALLOWED_HOSTS"].Value, m.service.Name) {
		t.Errorf("PVE_MCP_ALLOWED_HOSTS lacks the Service's name %s", m.service.Name)
	}
	if _, ok := env["PVE_MCP_HTTP_TOKEN_FILE"]; !ok {
		t.Error("no PVE_MCP_HTTP_TOKEN_FILE: the server refuses a network address without tokens")
	}
	if _, ok := env["PROXMOX_TOKEN_SECRET_FILE"]; !ok {
		t.Error("no PROXMOX_TOKEN_SECRET_FILE")
	}
	// A secret is never written into the manifest.
	for _, name := range []string{"PROXMOX_TOKEN_SECRET", "PROXMOX_PASSWORD", "PVE_MCP_HTTP_TOKEN"} {
		if e, ok := env[name]; ok && e.ValueFrom == nil {
			t.Errorf("%s has a literal value; take it from a Secret", name)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if ref == nil || ref.Name != m.secret.Name {
			t.Errorf("%s: valueFrom is not a key of Secret %s", e.Name, m.secret.Name)
			continue
		}
		if _, ok := m.secret.StringData[ref.Key]; !ok {
			t.Errorf("%s: key %q is not in secret.example.yaml", e.Name, ref.Key)
		}
	}
	checkSecretFiles(t, m, c, env)
}

// checkSecretFiles: every *_FILE variable names a file of the Secret's
// volume; the files are readable by the pod's group at most (fsGroup), and
// CREDENTIALS_DIRECTORY is their directory, where the server accepts that.
func checkSecretFiles(t *testing.T, m *manifests, c corev1.Container, env map[string]corev1.EnvVar) {
	pod := m.deployment.Spec.Template.Spec
	dir := env["CREDENTIALS_DIRECTORY"].Value
	for name, e := range env {
		if !strings.HasSuffix(name, "_FILE") {
			continue
		}
		rel, ok := strings.CutPrefix(e.Value, dir+"/")
		if dir == "" || !ok {
			t.Errorf("%s=%s is not in CREDENTIALS_DIRECTORY %q", name, e.Value, dir)
			continue
		}
		vm := slices.IndexFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool { return v.MountPath == dir })
		if vm < 0 || !c.VolumeMounts[vm].ReadOnly {
			t.Errorf("%s: no read-only mount at %s", name, dir)
			continue
		}
		vol := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == c.VolumeMounts[vm].Name })
		if vol < 0 || pod.Volumes[vol].Secret == nil || pod.Volumes[vol].Secret.SecretName != m.secret.Name {
			t.Errorf("%s: the mount at %s is not Secret %s", name, dir, m.secret.Name)
			continue
		}
		sv := pod.Volumes[vol].Secret
		if sv.DefaultMode == nil || *sv.DefaultMode&0o007 != 0 || *sv.DefaultMode&0o200 != 0 {
			t.Errorf("%s: the Secret's files must be read-only and closed to others, mode %v", name, sv.DefaultMode)
		}
		if !slices.ContainsFunc(sv.Items, func(k corev1.KeyToPath) bool { return k.Path == rel && m.secret.StringData[k.Key] != "" }) {
			t.Errorf("%s: %s is not a key of the Secret's volume", name, rel)
		}
	}
	if pod.SecurityContext == nil || pod.SecurityContext.FSGroup == nil {
		t.Error("no fsGroup: the Secret's files would be root's, unreadable by the server")
	}
}

func checkProbes(t *testing.T, c corev1.Container, svc *corev1.Service) {
	consts := serverConsts(t, "internal/httpserver/httpserver.go", "internal/httpserver/ready.go")
	for what, probe := range map[string]struct {
		p    *corev1.Probe
		path string
	}{"liveness": {c.LivenessProbe, consts["HealthPath"]}, "readiness": {c.ReadinessProbe, consts["ReadyPath"]}} {
		if probe.path == "" {
			t.Fatalf("%s: its path constant is gone from internal/httpserver", what)
		}
		if probe.p == nil || probe.p.HTTPGet == nil {
			t.Errorf("no %s HTTP probe", what)
			continue
		}
		if probe.p.HTTPGet.Path != probe.path || probe.p.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe %s on %s, want %s on port http", what, probe.p.HTTPGet.Path, probe.p.HTTPGet.Port.String(), probe.path)
		}
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("service ports %v: want one, to target port http", svc.Spec.Ports)
	}
}

func checkSecurity(t *testing.T, pod corev1.PodSpec, c corev1.Container) {
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatal("no pod or container securityContext")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != 65532 {
		t.Errorf("pod must run as non-root user 65532 (the image's): %+v", psc)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccomp: %+v, want RuntimeDefault", psc.SeccompProfile)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("root filesystem not read-only")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("privilege escalation allowed")
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("privileged")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("capabilities %+v, want drop ALL and add none", sc.Capabilities)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the service account token is mounted; the server never uses it")
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Error("host namespaces shared")
	}
}

// TestSecretExampleIsPlaceholders keeps real-looking secrets out of the
// example: every value is marked as a placeholder.
func TestSecretExampleIsPlaceholders(t *testing.T) {
	data, err := os.ReadFile("secret.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := load(t)
	if len(m.secret.StringData) == 0 || len(m.secret.Data) > 0 {
		t.Fatalf("secret.example.yaml: want stringData only")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "    ") && strings.Contains(line, ":") &&
			!strings.HasPrefix(line, "  name:") && !strings.HasPrefix(line, "  labels:") && !strings.Contains(line, "app.kubernetes.io") &&
			!strings.Contains(line, "PLACEHOLDER") {
			t.Errorf("secret.example.yaml: %q is not marked PLACEHOLDER", line)
		}
	}
}
