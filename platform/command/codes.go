package command

// Result and error codes shared by the orchestrator, middleware and the
// batch executor. Codes are stable; messages may change.
const (
	// CodeValidation: the command's arguments failed their schema.
	CodeValidation = "VALIDATION_ERROR"
	// CodeDomainValidation: a domain validator refused the arguments.
	CodeDomainValidation = "DOMAIN_VALIDATION_ERROR"
	// CodeUnknownCommand: no definition is registered for the command type.
	CodeUnknownCommand = "UNKNOWN_COMMAND"
	// CodeWrongContext: the command was addressed to another bounded context.
	CodeWrongContext = "WRONG_BOUNDED_CONTEXT"
	// CodeMiddlewareError: a middleware's before hook failed.
	CodeMiddlewareError = "MIDDLEWARE_ERROR"
	// CodeHandlerError: the handler returned an error that is not a command
	// rejection.
	CodeHandlerError = "HANDLER_ERROR"
	// CodeUnauthorized: authorization denied the command.
	CodeUnauthorized = "UNAUTHORIZED"
	// CodeRateLimited: rate limiting denied the command.
	CodeRateLimited = "RATE_LIMITED"
	// CodeUnknownError is From's default code.
	CodeUnknownError = "UNKNOWN_ERROR"

	// CodeEventStoreConflict aborts a command whose append (or CMS write)
	// met a concurrent change.
	CodeEventStoreConflict = "EVENT_STORE_CONFLICT"
	// CodeAppendAbort aborts a command whose append was refused for another
	// reason (idempotency duplicate or conflict, invalid event, condition).
	CodeAppendAbort = "EVENT_STORE_APPEND_ABORT"
	// CodePostAppendAbort aborts a command when anything after a successful
	// append fails (correlation record, enqueue, command completion).
	CodePostAppendAbort = "EVENT_STORE_POST_APPEND_ABORT"
)
