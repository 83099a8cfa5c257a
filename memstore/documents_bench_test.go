package memstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// benchJSON returns a JSON object of about n bytes.
func benchJSON(n int) json.RawMessage {
	var b strings.Builder
	b.WriteString(`{"kind":"bench","fields":[`)
	for i := 0; b.Len() < n-20; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"n":%d,"v":"value-%04d"}`, i, i)
	}
	b.WriteString(`],"end":true}`)
	return json.RawMessage(b.String())
}

// benchKeys returns n document keys that sort in the order they are made
// (time- or sequence-ordered ids, as the command log's).
func benchKeys(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%012d", prefix, i)
	}
	return keys
}

// reportCPU adds the metric cpu-ns/op, the process's CPU time per
// iteration since start: steadier than ns/op on a shared machine, and it
// counts the garbage collector's background work.
func reportCPU(b *testing.B, start time.Duration) {
	if d := processCPU() - start; d > 0 && start > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkDocumentInsertIndexed is one unit of work inserting one ~800-byte
// document with two index entries, keys and index keys growing.
func BenchmarkDocumentInsertIndexed(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	data := benchJSON(800)
	keys := benchKeys("cmd-", b.N)
	corr := benchKeys("corr-", b.N)
	exp := benchKeys("exp-", b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		key := keys[i]
		err := s.Atomic(ctx, func(tx store.Tx) error {
			_, err := tx.Documents().InsertIndexed(ctx, "commands", key, data,
				store.IndexEntry{Index: "by-correlation", Key: corr[i]},
				store.IndexEntry{Index: "by-expiry", Key: exp[i]})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkCommandLikeUnit is the unit of work the engine's command pipeline
// runs per command on memstore: a missed and a hit Lookup (a ~150-byte CMS
// document), an Update of that document, one event append, and two
// InsertIndexed (~800 and ~300 bytes) with two index entries each, keys
// growing.
func BenchmarkCommandLikeUnit(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	const orders = 100
	cms := benchJSON(150)
	cmd, corr := benchJSON(800), benchJSON(300)
	event := es.Event{Type: "ItemAdded", Data: json.RawMessage(`{"orderId":"o0001","sku":"a","qty":1}`)}
	streams := make([]es.StreamID, orders)
	for i := range streams {
		streams[i] = es.StreamID(fmt.Sprintf("Order-o%04d", i))
	}
	if err := s.Atomic(ctx, func(tx store.Tx) error {
		_, err := tx.Documents().Insert(ctx, "cms", "settings", cms)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	keys := benchKeys("cmd-", b.N)
	byCorr, byCtx, byExp := benchKeys("corr-c1/", b.N), benchKeys("orders/", b.N), benchKeys("", b.N)
	versions := make([]es.Version, orders)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		key, o := keys[i], i%orders
		err := s.Atomic(ctx, func(tx store.Tx) error {
			docs := tx.Documents().(store.DocumentLookup)
			if _, found, err := docs.Lookup(ctx, "commands", key); err != nil || found {
				return fmt.Errorf("lookup miss: %v %v", found, err)
			}
			d, found, err := docs.Lookup(ctx, "cms", "settings")
			if err != nil || !found {
				return fmt.Errorf("lookup hit: %v %v", found, err)
			}
			if _, err := tx.Documents().Update(ctx, "cms", "settings", d.Version, cms); err != nil {
				return err
			}
			if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: streams[o], Expected: es.Exact(versions[o]), Events: []es.Event{event}}); err != nil {
				return err
			}
			if _, err := tx.Documents().InsertIndexed(ctx, "commands", key, cmd,
				store.IndexEntry{Index: "by-correlation", Key: byCorr[i]},
				store.IndexEntry{Index: "by-expiry", Key: byExp[i]}); err != nil {
				return err
			}
			_, err = tx.Documents().InsertIndexed(ctx, "correlations", key, corr,
				store.IndexEntry{Index: "by-context", Key: byCtx[i]},
				store.IndexEntry{Index: "by-expiry", Key: byExp[i]})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		versions[o]++
	}
	reportCPU(b, cpu)
}
