package sbom

// The parts of CycloneDX 1.6 (https://cyclonedx.org/docs/1.6/json/) this
// package writes.

type bom struct {
	BOMFormat    string       `json:"bomFormat"`
	SpecVersion  string       `json:"specVersion"`
	SerialNumber string       `json:"serialNumber,omitempty"`
	Version      int          `json:"version"`
	Metadata     metadata     `json:"metadata"`
	Components   []component  `json:"components"`
	Dependencies []dependency `json:"dependencies"`
}

type metadata struct {
	Timestamp string    `json:"timestamp"`
	Tools     tools     `json:"tools"`
	Component component `json:"component"`
}

type tools struct {
	Components []component `json:"components"`
}

type component struct {
	BOMRef             string          `json:"bom-ref,omitempty"`
	Type               string          `json:"type"`
	Name               string          `json:"name"`
	Version            string          `json:"version,omitempty"`
	Hashes             []hash          `json:"hashes,omitempty"`
	Licenses           []licenseChoice `json:"licenses,omitempty"`
	PURL               string          `json:"purl,omitempty"`
	Pedigree           *pedigree       `json:"pedigree,omitempty"`
	ExternalReferences []reference     `json:"externalReferences,omitempty"`
	Properties         []property      `json:"properties,omitempty"`
}

type hash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type licenseChoice struct {
	Expression string `json:"expression"`
}

type pedigree struct {
	Patches []patch `json:"patches,omitempty"`
	Notes   string  `json:"notes,omitempty"`
}

type patch struct {
	Type string `json:"type"`
}

type reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type dependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}
