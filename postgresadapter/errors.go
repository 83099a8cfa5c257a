package postgresadapter

import (
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eventspec/eventspec/es"
)

// codeOf classifies a database error: a transaction PostgreSQL aborted
// (serialization failure, deadlock, cancelled statement, lost connection,
// statement after an earlier failure) is TRANSACTION_ABORTED; anything else
// is INTERNAL — the adapter checks every expected outcome before it could
// make a statement fail.
func codeOf(err error) es.Code {
	if errors.Is(err, errCommitRolledBack) {
		return es.CodeTransactionAborted
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "40001", pe.Code == "40P01", pe.Code == "25P02", pe.Code == "57014",
			strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			return es.CodeTransactionAborted
		}
		return es.CodeInternal
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return es.CodeTransactionAborted
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return es.CodeTransactionAborted
	}
	if strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "tx is closed") {
		return es.CodeTransactionAborted
	}
	return es.CodeInternal
}

// passwordKV matches password=… in a keyword/value connection string,
// quoted or not.
var passwordKV = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)

// RedactDSN returns dsn with its password replaced by "xxxxx", for both URL
// (postgres://user:secret@host/db, ?password=secret) and keyword/value
// (password=secret) forms. Use it whenever a DSN is printed.
func RedactDSN(dsn string) string {
	if strings.Contains(dsn, "://") {
		if u, err := url.Parse(dsn); err == nil {
			if u.User != nil {
				if _, has := u.User.Password(); has {
					u.User = url.UserPassword(u.User.Username(), "xxxxx")
				}
			}
			q := u.Query()
			if q.Has("password") {
				q.Set("password", "xxxxx")
				u.RawQuery = q.Encode()
			}
			return u.String()
		}
		// Unparsable URL: hide everything between "://" and "@".
		scheme, rest, _ := strings.Cut(dsn, "://")
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			return scheme + "://xxxxx@" + rest[at+1:]
		}
		return passwordKV.ReplaceAllString(dsn, "${1}xxxxx")
	}
	return passwordKV.ReplaceAllString(dsn, "${1}xxxxx")
}

// DSNPassword returns the password a DSN carries ("" when none), so
// callers can scrub it from messages built by other libraries.
func DSNPassword(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return ""
	}
	return cfg.Password
}

// Redact returns err with every occurrence of the password secret replaced
// by "xxxxx" in its message (err itself when secret is empty or absent).
// errors.Is and errors.As still see err.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	scrubbed := msg
	for _, s := range secrets {
		if s != "" {
			scrubbed = strings.ReplaceAll(scrubbed, s, "xxxxx")
		}
	}
	if scrubbed == msg {
		return err
	}
	return &redacted{msg: scrubbed, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
