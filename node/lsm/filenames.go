package lsm

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// File names in the engine's directory.
const (
	manifestName    = "MANIFEST"
	manifestTmpName = "MANIFEST.tmp"
	tableExt        = ".sst"
	logExt          = ".log"
)

type fileKind int

const (
	kindUnknown fileKind = iota
	kindTable
	kindLog
	kindManifest
	kindManifestTmp
)

func tableName(num uint64) string { return fmt.Sprintf("%06d%s", num, tableExt) }
func logName(num uint64) string   { return fmt.Sprintf("%06d%s", num, logExt) }

// parseName classifies a directory entry. Unknown names are left alone.
func parseName(name string) (fileKind, uint64) {
	switch name {
	case manifestName:
		return kindManifest, 0
	case manifestTmpName:
		return kindManifestTmp, 0
	}
	for _, c := range []struct {
		ext  string
		kind fileKind
	}{{tableExt, kindTable}, {logExt, kindLog}} {
		if stem, ok := strings.CutSuffix(name, c.ext); ok {
			n, err := strconv.ParseUint(stem, 10, 64)
			if err == nil && n > 0 {
				return c.kind, n
			}
		}
	}
	return kindUnknown, 0
}

func (d *DB) path(name string) string { return path.Join(d.dir, name) }
