// This file watches the store's file under the running daemon: deleted
// (a cleaner, a mistaken rm, a rotated directory) or replaced by another
// file. bbolt keeps writing to the inode it opened, so without this check
// every later change would go to a file that no longer has a name and be
// lost at the next restart.

package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// checkFile compares the file at s.path with the one s.db has open. A
// deleted file is recreated at once from the open one (which still holds
// every committed change), so nothing the daemon wrote is lost; a file
// replaced by another is left alone (it may be an operator's restore) and
// reported. It runs at each Flush, under s.mu: one stat per batch. The
// inode s.opened names cannot be reused by another file while bbolt holds
// it open.
func (s *Store) checkFile() error {
	cur, err := os.Stat(s.path)
	switch {
	case err == nil && os.SameFile(s.opened, cur):
		if s.fileProblem != "" {
			s.opts.Logger.Info("store file back in place", "path", s.path)
			s.fileProblem = ""
		}
		s.m.replaced.Set(0)
		return nil
	case err == nil:
		s.m.replaced.Set(1)
		s.report("replaced", "the store file was replaced by another file while vigie ran; vigie keeps writing to the file it opened (no longer reachable at that path) and will not overwrite the new one: restart vigie to use the new file, or move it away so vigie recreates its own",
			nil)
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		s.report("unreadable", "cannot check the store file; changes go to the open file", err)
		return nil
	}
	s.m.replaced.Set(0)
	if err := s.recreate(); err != nil {
		s.report("recreate_failed", "the store file was deleted while vigie ran and cannot be recreated; changes are kept in memory and retried: check that the directory exists and is writable", err)
		return fmt.Errorf("%s was deleted and cannot be recreated: %w", s.path, err)
	}
	s.m.recreated.Inc()
	s.opts.Logger.Error("store file was deleted while vigie ran; recreated from the open copy, nothing lost: find what deletes it (a tmp cleaner, a cleanup script, an operator)",
		"path", s.path)
	s.fileProblem = ""
	return nil
}

// report logs a file problem once until it changes or clears.
func (s *Store) report(problem, msg string, err error) {
	if s.fileProblem == problem {
		return
	}
	s.fileProblem = problem
	if err != nil {
		s.opts.Logger.Error(msg, "path", s.path, "err", err)
		return
	}
	s.opts.Logger.Error(msg, "path", s.path)
}

// recreate copies the open (deleted) file to a temporary file beside path,
// syncs it, renames it into place and switches s.db to it. On any failure
// s.db is unchanged and the next Flush tries again.
func (s *Store) recreate() error {
	tmp := s.path + ".recreate"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(f)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(s.path)); err == nil {
		_ = d.Sync() // the rename survives a power loss
		_ = d.Close()
	}
	db, err := openBolt(s.path, s.opts.Timeout, false)
	if err != nil {
		return err
	}
	opened, err := os.Stat(s.path)
	if err != nil {
		_ = db.Close()
		return err
	}
	s.opened = opened
	s.dbMu.Lock()
	old := s.db
	s.db = db
	s.dbMu.Unlock()
	if err := old.Close(); err != nil {
		s.opts.Logger.Warn("closing the deleted store file", "path", s.path, "err", err)
	}
	return nil
}

// Holds reports whether path names the file the store has open, so that a
// reloaded daemon shares it rather than open it twice (bbolt's lock would
// refuse). A file put in its place since (an operator's restore) is not
// it: the reload opens that one. The store's own path, deleted, still is:
// the next Flush recreates it from the open copy.
func (s *Store) Holds(path string) bool {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		a, errA := filepath.Abs(path)
		b, errB := filepath.Abs(s.path)
		return errA == nil && errB == nil && a == b
	}
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return os.SameFile(s.opened, fi)
}
