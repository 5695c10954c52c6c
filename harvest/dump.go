package harvest

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
)

// The dump: every record as N-Quads.

// DumpStats says what a dump wrote.
type DumpStats struct {
	Sequence uint64 // the change-log position the dump starts from
	Records  int
	Quads    int
}

// Dump writes every record as N-Quads, each statement in its record's
// graph, streamed from one snapshot of the store (one
// registry.Published.Scan, record by record, so each record's statements
// are together) through a buffered writer; the store's bookkeeping and
// tokens are not written. Sequence is the change-log position when the dump began: the
// snapshot is as of that change or later, so a harvester that loads the
// dump and then replays the change feed from Sequence (re-reading each
// changed record) holds the registry's current graph. Records counts the
// records written (retired ones too: they keep their statements), Quads
// the statements.
func (h *Harvester) Dump(ctx context.Context, w io.Writer) (DumpStats, error) {
	st := DumpStats{Sequence: h.store.Sequence()}
	bw := bufio.NewWriterSize(w, dumpBuffer)
	var last quad.Value
	var line []byte
	err := h.store.Published().Scan(ctx, Pattern{}, func(q quad.Quad) error {
		if q.Label != last {
			st.Records++
			last = q.Label
		}
		line = rdf.AppendNQuad(line[:0], q.Subject, q.Predicate, q.Object, q.Label)
		if _, err := bw.Write(line); err != nil {
			return err
		}
		st.Quads++
		return nil
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return st, fmt.Errorf("dump: %w", err)
	}
	return st, ctx.Err()
}

// dumpBuffer is the size of the dump's write buffer.
const dumpBuffer = 256 << 10
