// Package cms is the Command Model State (CMS) of dual-write bounded
// contexts: a per-aggregate state document that command handlers read in
// O(1), written in the same unit of work as the events it results from, so
// state and log never diverge (spec §3–§5).
//
// The package has three parts:
//
//   - the dual-write contract: Base and Timestamped document fields, and
//     Contract, a bounded context's declaration of its commands, events,
//     CMS types and error codes;
//   - the Upcaster: lazy migration of stored documents from older
//     stateVersions on read, persisted only on the next write;
//   - Repository: typed access to one CMS collection over
//     store.Documents with optimistic versions (Load, TryLoad, Exists,
//     LoadMany, Insert, Update, Save) and DualWrite, which stores the new
//     state and appends its events in the caller's unit of work.
//
// Every operation takes the store.Documents (or store.Tx) of the caller's
// unit of work, so the orchestrator runs them inside store.Atomic.
package cms

import (
	"slices"

	"github.com/eventspec/eventspec/es"
)

// Base holds the fields every CMS document carries.
type Base struct {
	// StateVersion is the document's schema version (used by upcasting).
	StateVersion int `json:"stateVersion"`
	// Version is the aggregate version; it mirrors the stream version.
	Version int64 `json:"version"`
}

// Timestamped adds creation and update instants (Unix milliseconds).
type Timestamped struct {
	Base
	CreatedAt int64 `json:"createdAt"`
	UpdatedAt int64 `json:"updatedAt"`
}

// ExecutionModeDualWrite is the only execution mode of a Contract.
const ExecutionModeDualWrite = "dual-write"

// Identity names a bounded context.
type Identity struct {
	Name             string `json:"name"`
	Description      string `json:"description,omitempty"`
	Version          int    `json:"version"`
	StreamTypePrefix string `json:"streamTypePrefix,omitempty"`
}

// CMSType declares one CMS table of a bounded context.
type CMSType struct {
	TableName           string `json:"tableName"`
	CurrentStateVersion int    `json:"currentStateVersion"`
	Description         string `json:"description,omitempty"`
}

// Contract declares a dual-write bounded context (DualWriteContextContract):
// its identity, the commands it accepts, the events it emits, its CMS
// tables by name, and its error codes.
type Contract struct {
	Identity      Identity           `json:"identity"`
	ExecutionMode string             `json:"executionMode"`
	CommandTypes  []string           `json:"commandTypes"`
	EventTypes    []string           `json:"eventTypes"`
	CMSTypes      map[string]CMSType `json:"cmsTypes"`
	ErrorCodes    []string           `json:"errorCodes,omitempty"`
}

// Validate checks the contract (INVALID_ARGUMENT naming the problem): a
// non-empty name, version ≥ 1, execution mode "dual-write", at least one
// command and one event type, no empty or repeated command types, event
// types or error codes, and CMS types with valid, distinct table names and
// a current state version ≥ 1.
func (c Contract) Validate() error {
	name := c.Identity.Name
	if name == "" {
		return es.Errorf(es.CodeInvalidArgument, "contract: identity name is empty")
	}
	if c.Identity.Version < 1 {
		return es.Errorf(es.CodeInvalidArgument, "contract %s: version %d must be at least 1", name, c.Identity.Version)
	}
	if c.ExecutionMode != ExecutionModeDualWrite {
		return es.Errorf(es.CodeInvalidArgument, "contract %s: execution mode %q is not %q", name, c.ExecutionMode, ExecutionModeDualWrite)
	}
	for _, list := range []struct {
		what     string
		items    []string
		nonEmpty bool
	}{{"command type", c.CommandTypes, true}, {"event type", c.EventTypes, true}, {"error code", c.ErrorCodes, false}} {
		if list.nonEmpty && len(list.items) == 0 {
			return es.Errorf(es.CodeInvalidArgument, "contract %s: no %ss declared", name, list.what)
		}
		for i, s := range list.items {
			if err := es.ValidateName(es.CodeInvalidArgument, "contract "+name+": "+list.what, s); err != nil {
				return err
			}
			if slices.Contains(list.items[:i], s) {
				return es.Errorf(es.CodeInvalidArgument, "contract %s: %s %q is declared twice", name, list.what, s)
			}
		}
	}
	tables := map[string]string{}
	for _, cmsName := range sortedKeys(c.CMSTypes) {
		t := c.CMSTypes[cmsName]
		if cmsName == "" {
			return es.Errorf(es.CodeInvalidArgument, "contract %s: a CMS type has an empty name", name)
		}
		if err := es.ValidateName(es.CodeInvalidCollection, "contract "+name+": CMS type "+cmsName+" table", t.TableName); err != nil {
			return err
		}
		if other, dup := tables[t.TableName]; dup {
			return es.Errorf(es.CodeInvalidArgument, "contract %s: CMS types %s and %s share table %q", name, other, cmsName, t.TableName)
		}
		tables[t.TableName] = cmsName
		if t.CurrentStateVersion < 1 {
			return es.Errorf(es.CodeInvalidArgument, "contract %s: CMS type %s current state version %d must be at least 1", name, cmsName, t.CurrentStateVersion)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// HasCommand reports whether the contract declares command type t.
func (c Contract) HasCommand(t string) bool { return slices.Contains(c.CommandTypes, t) }

// HasEvent reports whether the contract declares event type t.
func (c Contract) HasEvent(t string) bool { return slices.Contains(c.EventTypes, t) }

// HasErrorCode reports whether the contract declares error code code.
func (c Contract) HasErrorCode(code string) bool { return slices.Contains(c.ErrorCodes, code) }

// CMSTableNames returns the contract's CMS table names, sorted.
func (c Contract) CMSTableNames() []string {
	out := make([]string, 0, len(c.CMSTypes))
	for _, t := range c.CMSTypes {
		out = append(out, t.TableName)
	}
	slices.Sort(out)
	return out
}

// CheckUpcaster verifies that u upgrades CMS type cmsName to the contract's
// current state version (INVALID_ARGUMENT otherwise, and for an unknown
// type).
func (c Contract) CheckUpcaster(cmsName string, u *Upcaster) error {
	t, ok := c.CMSTypes[cmsName]
	if !ok {
		return es.Errorf(es.CodeInvalidArgument, "contract %s declares no CMS type %q", c.Identity.Name, cmsName)
	}
	if u == nil || u.Current() != t.CurrentStateVersion {
		got := 0
		if u != nil {
			got = u.Current()
		}
		return es.Errorf(es.CodeInvalidArgument, "contract %s: CMS type %s is at state version %d but its upcaster produces %d",
			c.Identity.Name, cmsName, t.CurrentStateVersion, got)
	}
	return nil
}
