package orchestrator

import "runtime/debug"

// Version is sweep's version, recorded in every trial.json's provenance.
const Version = "0.1.0"

// BuildVersion is Version plus the VCS revision the binary was built from,
// when the build recorded one.
func BuildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return Version + "+" + s.Value[:12]
		}
	}
	return Version
}
