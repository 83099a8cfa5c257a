package memstore

// Test hooks into the command log's storage (cmdstore.go), for the tests
// of package memstore_test.

// SetCommandLogHashMask sets the mask ANDed onto the hashes of the command
// log's id and correlation indexes (0 puts every string on one hash). Call
// it before the first write.
func SetCommandLogHashMask(s *Store, mask uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.cl.ids.mask = mask
	s.st.cl.byCorr.mask = mask
}

// CommandLogSpace is what the command log's storage holds.
type CommandLogSpace struct {
	Cmds, Corrs   int // records in use
	CmdSlots      int // command records made (in use or free)
	Chunks        int // byte chunks held
	SideTimes     int // times kept whole
	Locations     int // locations in the table (UTC included)
	IDs, ByCorr   int // entries of the id and correlation indexes
	Unfiled, Seqs int // records waiting to be filed; lists of byCorr
}

func inUse[T any](s *slots[T]) int {
	if s.n == 0 {
		return 0
	}
	return int(s.n) - 1 - len(s.free)
}

// CommandLogSpaceOf reports what s's command log holds.
func CommandLogSpaceOf(s *Store) CommandLogSpace {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.st.cl
	sp := CommandLogSpace{
		Cmds: inUse(&l.cmds), Corrs: inUse(&l.corrs), CmdSlots: max(int(l.cmds.n)-1, 0),
		SideTimes: len(l.times.side), Locations: len(l.times.locs),
		IDs: l.ids.len(), ByCorr: l.byCorr.len(), Unfiled: len(l.unfiled),
	}
	for _, c := range l.arena.chunks {
		if c != nil {
			sp.Chunks++
		}
	}
	for _, q := range l.seqs {
		if q != nil {
			sp.Seqs++
		}
	}
	return sp
}
