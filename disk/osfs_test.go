package disk

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOSIsRootedAtItsDirectory(t *testing.T) {
	root := t.TempDir()
	o, err := NewOS(root)
	require.NoError(t, err)
	require.NoError(t, o.MkdirAll("/a/b"))
	writeFile(t, o, "../../a/b/f", "data")
	got, err := os.ReadFile(filepath.Join(root, "a", "b", "f"))
	require.NoError(t, err)
	require.Equal(t, "data", string(got))
	syncDir(t, o, "a/b")

	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, root)
	require.NoError(t, err)
	o2, err := NewOS(rel)
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(o2.Root()), "a relative root is made absolute")
	require.Equal(t, "data", readFile(t, o2, "a/b/f"))
}

func TestNewOSRefusesBadRoots(t *testing.T) {
	root := t.TempDir()
	_, err := NewOS(filepath.Join(root, "missing"))
	require.ErrorIs(t, err, ErrNotExist)
	file := filepath.Join(root, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = NewOS(file)
	require.ErrorIs(t, err, ErrNotDir)
}

func TestOSErrorsKeepBothChains(t *testing.T) {
	o, err := NewOS(t.TempDir())
	require.NoError(t, err)
	_, err = o.Open("missing")
	require.ErrorIs(t, err, ErrNotExist)
	require.ErrorIs(t, err, fs.ErrNotExist, "the original error stays in the chain")
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)

	for errno, want := range map[syscall.Errno]error{
		syscall.ENOSPC:    ErrNoSpace,
		syscall.EDQUOT:    ErrNoSpace,
		syscall.ENOTEMPTY: ErrNotEmpty,
		syscall.EEXIST:    ErrExist,
		syscall.EISDIR:    ErrIsDir,
		syscall.ENOTDIR:   ErrNotDir,
		syscall.EINVAL:    ErrInvalid,
	} {
		err := osErr("write", "f", &fs.PathError{Op: "write", Path: "/x/f", Err: errno})
		require.ErrorIs(t, err, want, "%v", errno)
		require.ErrorIs(t, err, errno)
		require.ErrorContains(t, err, "write f: ")
	}
	err = osErr("read", "f", syscall.EIO)
	require.ErrorIs(t, err, syscall.EIO, "unknown errors pass through")
	require.NotErrorIs(t, err, ErrInjected)
}
