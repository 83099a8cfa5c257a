package logging

import (
	"fmt"
	"maps"

	"github.com/eventspec/eventspec/es"
)

// Messages written by the command lifecycle helpers.
const (
	MsgCommandStarted   = "Command started"
	MsgCommandSucceeded = "Command succeeded"
	MsgCommandRejected  = "Command rejected"
	MsgCommandBusiness  = "Command failed (business)"
	MsgCommandFailed    = "Command failed"
	MsgCommandSkipped   = "Command skipped (idempotent)"
)

// CommandFields is the usual context of the command helpers: commandType,
// commandId and correlationId (empty values are left out).
func CommandFields(commandType, commandID, correlationID string) Fields {
	f := Fields{}
	for k, v := range map[string]string{"commandType": commandType, "commandId": commandID, "correlationId": correlationID} {
		if v != "" {
			f[k] = v
		}
	}
	return f
}

func with(ctx Fields, extra Fields) Fields {
	out := make(Fields, len(ctx)+len(extra))
	maps.Copy(out, ctx)
	maps.Copy(out, extra)
	return out
}

// LogCommandStarted logs INFO "Command started" with ctx.
func LogCommandStarted(l Logger, ctx Fields) { l.Info(MsgCommandStarted, with(ctx, nil)) }

// LogCommandSucceeded logs INFO "Command succeeded" with ctx, version and
// eventType.
func LogCommandSucceeded(l Logger, ctx Fields, version int64, eventType string) {
	l.Info(MsgCommandSucceeded, with(ctx, Fields{"version": version, "eventType": eventType}))
}

// LogCommandRejected logs WARN "Command rejected" with ctx, rejectionCode
// and rejectionMessage (the keys are prefixed so they never clash with a
// context's own code or message).
func LogCommandRejected(l Logger, ctx Fields, code, message string) {
	l.Warn(MsgCommandRejected, with(ctx, Fields{"rejectionCode": code, "rejectionMessage": message}))
}

// LogCommandFailed logs WARN "Command failed (business)" for a business
// failure that recorded eventType, with ctx and failureReason.
func LogCommandFailed(l Logger, ctx Fields, eventType, reason string) {
	l.Warn(MsgCommandBusiness, with(ctx, Fields{"eventType": eventType, "failureReason": reason}))
}

// LogCommandError logs ERROR "Command failed" for an unexpected error, with
// ctx and "error": for an error value {message, code (when it has an
// eventspec code)}, for nil "null", for anything else fmt.Sprint(value).
func LogCommandError(l Logger, ctx Fields, err any) {
	l.Error(MsgCommandFailed, with(ctx, Fields{"error": errorValue(err)}))
}

func errorValue(v any) any {
	switch e := v.(type) {
	case nil:
		return "null"
	case error:
		out := map[string]any{"message": e.Error()}
		if c := es.CodeOf(e); c != "" {
			out["code"] = string(c)
		}
		return out
	}
	return fmt.Sprint(v)
}

// LogCommandSkipped logs DEBUG "Command skipped (idempotent)" for a
// duplicate command, with ctx and existingVersion.
func LogCommandSkipped(l Logger, ctx Fields, existingVersion int64) {
	l.Debug(MsgCommandSkipped, with(ctx, Fields{"existingVersion": existingVersion}))
}
