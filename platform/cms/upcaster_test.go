package cms_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/cms"
)

// orderUpcaster: v1 {orderId,total} → v2 adds status "draft" → v3 renames
// total to amount.
func orderUpcaster(t *testing.T, opts ...cms.UpcasterOption) *cms.Upcaster {
	t.Helper()
	u, err := cms.NewUpcaster(3, map[int]cms.Migration{
		1: cms.AddField("status", "draft", 2),
		2: cms.RenameField("total", "amount", 3),
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func upErr(t *testing.T, err error) *cms.UpcastError {
	t.Helper()
	var ue *cms.UpcastError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v (%T), want *cms.UpcastError", err, err)
	}
	return ue
}

func TestNewUpcasterChecksTheChain(t *testing.T) {
	ue := upErr(t, func() error {
		_, err := cms.NewUpcaster(4, map[int]cms.Migration{1: cms.AddField("a", 1, 2), 3: cms.AddField("c", 1, 4)})
		return err
	}())
	if ue.ErrCode != cms.CodeMissingMigration || ue.Message != "Missing migration for version 2" || ue.Name() != "CMSUpcasterError" {
		t.Errorf("err = %+v", ue)
	}
	if !cmp.Equal(ue.Context, map[string]any{"fromVersion": 2, "toVersion": 3}) {
		t.Errorf("context = %v", ue.Context)
	}
	// Minimum 0 requires migration[0] up front (spec §30 q13 decision).
	_, err := cms.NewUpcaster(2, map[int]cms.Migration{1: cms.AddField("a", 1, 2)}, cms.MinSupportedVersion(0))
	if ue := upErr(t, err); ue.Message != "Missing migration for version 0" {
		t.Errorf("min 0 err = %v", err)
	}
	// Minimum 2: version 1 need not be covered.
	u, err := cms.NewUpcaster(3, map[int]cms.Migration{2: cms.AddField("a", 1, 3)}, cms.MinSupportedVersion(2))
	if err != nil || u.MinSupported() != 2 || u.Current() != 3 {
		t.Errorf("min 2: %v", err)
	}
	for name, tc := range map[string]struct {
		current int
		steps   map[int]cms.Migration
		opts    []cms.UpcasterOption
		want    string
	}{
		"current 0":   {0, nil, nil, "current version 0 must be at least 1"},
		"min > cur":   {2, map[int]cms.Migration{1: cms.AddField("a", 1, 2)}, []cms.UpcasterOption{cms.MinSupportedVersion(3)}, "minimum supported version 3 is outside 0…2"},
		"min < 0":     {1, nil, []cms.UpcasterOption{cms.MinSupportedVersion(-1)}, "minimum supported version -1 is outside 0…1"},
		"step == cur": {2, map[int]cms.Migration{1: cms.AddField("a", 1, 2), 2: cms.AddField("a", 1, 3)}, nil, "migration for version 2 is outside 0…1"},
		"nil step":    {2, map[int]cms.Migration{1: nil}, nil, "migration for version 1 is nil"},
	} {
		_, err := cms.NewUpcaster(tc.current, tc.steps, tc.opts...)
		if es.CodeOf(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want INVALID_ARGUMENT %q", name, err, tc.want)
		}
	}
}

func TestUpcastNull(t *testing.T) {
	_, err := orderUpcaster(t).Upcast(nil)
	ue := upErr(t, err)
	if ue.ErrCode != cms.CodeNullState || !strings.Contains(ue.Message, "Cannot upcast null or undefined") || ue.Context != nil {
		t.Errorf("err = %+v", ue)
	}
}

func TestUpcastCurrentVersionUnchanged(t *testing.T) {
	doc := cms.Doc{"stateVersion": 3.0, "orderId": "o1", "amount": 5.0, "version": 4.0}
	res, err := orderUpcaster(t).Upcast(doc)
	if err != nil {
		t.Fatal(err)
	}
	if res.WasUpcasted || res.OriginalStateVersion != 3 || !cmp.Equal(res.Doc, doc) {
		t.Errorf("res = %+v", res)
	}
	bad := errors.New("amount missing")
	u := orderUpcaster(t, cms.WithValidation(func(d cms.Doc) error {
		if _, ok := d["amount"]; !ok {
			return bad
		}
		return nil
	}))
	_, err = u.Upcast(cms.Doc{"stateVersion": 3.0})
	ue := upErr(t, err)
	if ue.ErrCode != cms.CodeInvalidState || !strings.Contains(ue.Message, "fails validation") || !errors.Is(err, bad) {
		t.Errorf("err = %v", err)
	}
}

func TestUpcastFutureVersion(t *testing.T) {
	_, err := orderUpcaster(t).Upcast(cms.Doc{"stateVersion": 7.0})
	ue := upErr(t, err)
	if ue.ErrCode != cms.CodeFutureVersion || ue.Message != "CMS stateVersion 7 is newer than current schema version 3" ||
		!cmp.Equal(ue.Context, map[string]any{"stateVersion": 7, "currentVersion": 3}) {
		t.Errorf("err = %+v", ue)
	}
}

func TestUpcastMigratesStepByStep(t *testing.T) {
	in := cms.Doc{"stateVersion": 1.0, "orderId": "o1", "total": 10.0, "version": 2.0}
	res, err := orderUpcaster(t).Upcast(in)
	if err != nil {
		t.Fatal(err)
	}
	want := cms.Doc{"stateVersion": 3, "orderId": "o1", "amount": 10.0, "status": "draft", "version": 2.0}
	if diff := cmp.Diff(want, res.Doc); diff != "" || !res.WasUpcasted || res.OriginalStateVersion != 1 {
		t.Errorf("(-want +got)\n%s\n%+v", diff, res)
	}
	if !cmp.Equal(in, cms.Doc{"stateVersion": 1.0, "orderId": "o1", "total": 10.0, "version": 2.0}) {
		t.Errorf("input modified: %v", in)
	}
	// From v2 only the rename runs.
	res, err = orderUpcaster(t).Upcast(cms.Doc{"stateVersion": 2.0, "total": 1.0, "status": "paid"})
	if err != nil || !cmp.Equal(res.Doc, cms.Doc{"stateVersion": 3, "amount": 1.0, "status": "paid"}) || res.OriginalStateVersion != 2 {
		t.Errorf("from v2 = %v %v", res.Doc, err)
	}
}

func TestLegacyVersionZero(t *testing.T) {
	legacy := []cms.Doc{{"orderId": "o1"}, {"stateVersion": "2"}, {"stateVersion": 1.5}, {"stateVersion": nil}}
	for _, d := range legacy {
		if v := cms.StateVersion(d); v != 0 {
			t.Errorf("StateVersion(%v) = %d, want 0", d, v)
		}
	}
	// Default minimum 1 without migration[0]: a v0 document fails at read.
	_, err := orderUpcaster(t).Upcast(cms.Doc{"orderId": "o1"})
	ue := upErr(t, err)
	if ue.ErrCode != cms.CodeMissingMigration || !cmp.Equal(ue.Context, map[string]any{"fromVersion": 0, "toVersion": 1}) {
		t.Errorf("v0 err = %+v", ue)
	}
	// With migration[0] it is upgraded through the whole chain.
	u, err := cms.NewUpcaster(3, map[int]cms.Migration{
		0: cms.AddFieldFunc("total", func(old cms.Doc) any { return old["legacyTotal"] }, 1),
		1: cms.AddField("status", "draft", 2),
		2: cms.RenameField("total", "amount", 3),
	}, cms.MinSupportedVersion(0))
	if err != nil {
		t.Fatal(err)
	}
	res, err := u.Upcast(cms.Doc{"orderId": "o1", "legacyTotal": 4.0})
	want := cms.Doc{"stateVersion": 3, "orderId": "o1", "legacyTotal": 4.0, "amount": 4.0, "status": "draft"}
	if err != nil || !cmp.Equal(res.Doc, want) || res.OriginalStateVersion != 0 {
		t.Errorf("v0 upcast = %v %v", res.Doc, err)
	}
}

func TestMigrationErrorsAndValidation(t *testing.T) {
	boom := errors.New("legacy total unreadable")
	u, _ := cms.NewUpcaster(2, map[int]cms.Migration{1: func(cms.Doc) (cms.Doc, error) { return nil, boom }})
	if _, err := u.Upcast(cms.Doc{"stateVersion": 1.0}); err != boom {
		t.Errorf("migration error = %v, want it unchanged", err)
	}
	u, _ = cms.NewUpcaster(2, map[int]cms.Migration{1: func(cms.Doc) (cms.Doc, error) { return nil, nil }})
	if _, err := u.Upcast(cms.Doc{"stateVersion": 1.0}); es.CodeOf(err) != cms.CodeInvalidState {
		t.Errorf("nil document err = %v", err)
	}
	u = orderUpcaster(t, cms.WithValidation(func(d cms.Doc) error {
		if d["status"] != "paid" {
			return errors.New("status must be paid")
		}
		return nil
	}))
	_, err := u.Upcast(cms.Doc{"stateVersion": 1.0, "total": 2.0})
	if ue := upErr(t, err); ue.ErrCode != cms.CodeInvalidState || ue.Message != "Upcasted CMS failed validation" {
		t.Errorf("err = %v", err)
	}
	// A custom migration that forgets stateVersion still advances.
	u, _ = cms.NewUpcaster(3, map[int]cms.Migration{
		1: func(d cms.Doc) (cms.Doc, error) { d["a"] = true; return d, nil },
		2: func(d cms.Doc) (cms.Doc, error) { d["seen"] = d["stateVersion"]; return d, nil },
	})
	res, err := u.Upcast(cms.Doc{"stateVersion": 1.0})
	if err != nil || !cmp.Equal(res.Doc, cms.Doc{"stateVersion": 3, "a": true, "seen": 2}) {
		t.Errorf("forgetful = %v %v", res.Doc, err)
	}
}

func TestUpcastIfNeeded(t *testing.T) {
	calls := 0
	migrate := func(d cms.Doc) (cms.Doc, error) {
		calls++
		d["status"] = "draft"
		return d, nil
	}
	valid := func(d cms.Doc) error {
		if d["status"] == nil {
			return errors.New("no status")
		}
		return nil
	}
	res, err := cms.UpcastIfNeeded(cms.Doc{"stateVersion": 1.0}, 2, migrate, valid)
	if err != nil || calls != 1 || !res.WasUpcasted || !cmp.Equal(res.Doc, cms.Doc{"stateVersion": 2, "status": "draft"}) {
		t.Errorf("migrate = %+v %v calls %d", res, err, calls)
	}
	_, err = cms.UpcastIfNeeded(cms.Doc{"stateVersion": 2.0}, 2, migrate, valid)
	if ue := upErr(t, err); ue.ErrCode != cms.CodeInvalidState || !strings.Contains(ue.Message, "claims version 2 but fails validation") {
		t.Errorf("claims err = %v", err)
	}
	_, err = cms.UpcastIfNeeded(cms.Doc{"stateVersion": 5.0}, 2, migrate, nil)
	if ue := upErr(t, err); ue.ErrCode != cms.CodeFutureVersion || !strings.Contains(ue.Message, "is newer than expected version 2") {
		t.Errorf("future err = %v", err)
	}
	_, err = cms.UpcastIfNeeded(nil, 2, migrate, nil)
	if es.CodeOf(err) != cms.CodeNullState {
		t.Errorf("nil err = %v", err)
	}
	_, err = cms.UpcastIfNeeded(cms.Doc{}, 2, nil, nil)
	if es.CodeOf(err) != cms.CodeMissingMigration {
		t.Errorf("no migrateOld err = %v", err)
	}
	if calls != 1 {
		t.Errorf("migrateOld called %d times", calls)
	}
}

func TestFieldHelpersPreserveOtherFields(t *testing.T) {
	d := cms.Doc{"stateVersion": 1.0, "version": 9.0, "a": 1.0, "b": "x"}
	got, _ := cms.AddField("c", []any{1.0}, 2)(d)
	if !cmp.Equal(got, cms.Doc{"stateVersion": 2, "version": 9.0, "a": 1.0, "b": "x", "c": []any{1.0}}) {
		t.Errorf("AddField = %v", got)
	}
	got, _ = cms.AddFieldFunc("double", func(old cms.Doc) any { return old["a"].(float64) * 2 }, 2)(d)
	if got["double"] != 2.0 {
		t.Errorf("AddFieldFunc = %v", got)
	}
	got, _ = cms.RenameField("b", "bee", 5)(d)
	if !cmp.Equal(got, cms.Doc{"stateVersion": 5, "version": 9.0, "a": 1.0, "bee": "x"}) {
		t.Errorf("RenameField = %v", got)
	}
	got, _ = cms.RenameField("missing", "m", 2)(d)
	if v, ok := got["m"]; !ok || v != nil {
		t.Errorf("RenameField absent = %v", got)
	}
	got, _ = cms.RemoveField("a", 2)(d)
	if !cmp.Equal(got, cms.Doc{"stateVersion": 2, "version": 9.0, "b": "x"}) {
		t.Errorf("RemoveField = %v", got)
	}
	if !cmp.Equal(d, cms.Doc{"stateVersion": 1.0, "version": 9.0, "a": 1.0, "b": "x"}) {
		t.Errorf("helpers modified input: %v", d)
	}
}

type orderV3 struct {
	cms.Base
	OrderID string  `json:"orderId"`
	Amount  float64 `json:"amount"`
	Status  string  `json:"status"`
}

func TestUpcastAsDecodes(t *testing.T) {
	res, err := cms.UpcastAs[orderV3](orderUpcaster(t), cms.Doc{"stateVersion": 1.0, "orderId": "o1", "total": 3.5, "version": 2.0})
	want := orderV3{Base: cms.Base{StateVersion: 3, Version: 2}, OrderID: "o1", Amount: 3.5, Status: "draft"}
	if err != nil || res.CMS != want || !res.WasUpcasted || res.OriginalStateVersion != 1 {
		t.Errorf("UpcastAs = %+v %v", res, err)
	}
	_, err = cms.UpcastAs[orderV3](nil, cms.Doc{"orderId": 5.0})
	if es.CodeOf(err) != cms.CodeInvalidState || !strings.Contains(err.Error(), "does not decode into cms_test.orderV3") {
		t.Errorf("decode err = %v", err)
	}
	if _, err := cms.Encode([]int{1}); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("Encode non-object = %v", err)
	}
	if _, err := cms.Encode(func() {}); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("Encode func = %v", err)
	}
}

func ExampleUpcaster() {
	up, err := cms.NewUpcaster(3, map[int]cms.Migration{
		1: cms.AddField("status", "draft", 2),
		2: cms.RenameField("total", "amount", 3),
	})
	if err != nil {
		panic(err)
	}
	var stored cms.Doc
	_ = json.Unmarshal([]byte(`{"stateVersion":1,"version":4,"orderId":"o1","total":12}`), &stored)
	res, _ := up.Upcast(stored)
	out, _ := json.Marshal(res.Doc)
	fmt.Println(string(out), res.WasUpcasted, res.OriginalStateVersion)

	_, err = cms.NewUpcaster(3, map[int]cms.Migration{1: cms.AddField("status", "draft", 2)})
	fmt.Println(err)
	// Output:
	// {"amount":12,"orderId":"o1","stateVersion":3,"status":"draft","version":4} true 1
	// MISSING_MIGRATION: Missing migration for version 2
}
