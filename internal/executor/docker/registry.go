package docker

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
)

// registryAuth returns the X-Registry-Auth value for image's registry from
// the Docker CLI's configuration on this host ($DOCKER_CONFIG/config.json,
// else ~/.docker/config.json): the "auths" entry of that registry, as
// `docker login` writes it. Credential helpers are not run. Empty when
// there is none: the pull is then anonymous.
func registryAuth(image string) string {
	domain := imageDomain(image)
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".docker")
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return ""
	}
	var cfg struct {
		Auths map[string]struct {
			Auth          string `json:"auth"`
			IdentityToken string `json:"identitytoken"`
		} `json:"auths"`
	}
	if json.Unmarshal(b, &cfg) != nil {
		return ""
	}
	for key, a := range cfg.Auths {
		if registryHost(key) != domain {
			continue
		}
		ac := registry.AuthConfig{ServerAddress: key, IdentityToken: a.IdentityToken}
		if raw, err := base64.StdEncoding.DecodeString(a.Auth); err == nil {
			ac.Username, ac.Password, _ = strings.Cut(string(raw), ":")
		}
		enc, err := authconfig.Encode(ac)
		if err != nil {
			return ""
		}
		return enc
	}
	return ""
}

// registryHost is the registry domain of a config.json "auths" key, which
// may be a URL ("https://index.docker.io/v1/") or a host.
func registryHost(key string) string {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	host, _, _ := strings.Cut(key, "/")
	if host == "index.docker.io" || host == "registry-1.docker.io" {
		return "docker.io"
	}
	return host
}

// imageDomain is the registry of an image reference, as Docker reads one:
// the part before the first slash when it looks like a host (has a dot or
// a colon, or is "localhost"), else Docker Hub.
func imageDomain(image string) string {
	first, _, ok := strings.Cut(image, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "docker.io"
}
