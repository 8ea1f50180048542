import RuntimeBase

/// gRPC status codes, which ttrpc reuses in `Response.status.code`.
public enum TTRPCStatusCode: Int32, Sendable, Equatable {
    case ok = 0, cancelled = 1, unknown = 2, invalidArgument = 3, deadlineExceeded = 4, notFound = 5
    case alreadyExists = 6, permissionDenied = 7, resourceExhausted = 8, failedPrecondition = 9, aborted = 10
    case outOfRange = 11, unimplemented = 12, `internal` = 13, unavailable = 14, dataLoss = 15, unauthenticated = 16
}

/// Why a ttrpc call did not produce a response payload. The server's verdict (`status`) is kept apart from
/// transport trouble so callers can treat, say, NOT_FOUND as "no such task" and a closed socket as "shim gone".
public enum TTRPCError: Error, Sendable, CustomStringConvertible {
    /// The server answered with a non-OK status. `rawCode` is kept for codes outside the gRPC table.
    case status(code: TTRPCStatusCode?, rawCode: Int32, message: String)
    /// No response within the client-side deadline.
    case timedOut(method: String, milliseconds: Int)
    /// The peer closed the connection before answering.
    case connectionClosed(method: String)
    /// Bytes that do not follow the protocol (oversized frame, bad protobuf, wrong message type).
    case protocolViolation(String)
    /// A socket or system call failed.
    case system(RuntimeError)

    public var description: String {
        switch self {
        case let .status(code, raw, message):
            return "ttrpc status \(code.map { "\($0)" } ?? "code") (\(raw)): \(message)"
        case let .timedOut(method, ms): return "ttrpc \(method): no response within \(ms) ms"
        case let .connectionClosed(method): return "ttrpc \(method): connection closed before the response"
        case let .protocolViolation(what): return "ttrpc protocol violation: \(what)"
        case let .system(error): return error.description
        }
    }

    /// The server's status code, if the server answered at all.
    public var statusCode: TTRPCStatusCode? {
        if case let .status(code, _, _) = self { return code }
        return nil
    }

    /// Crossing into the rest of the product: one `RuntimeError` with the caller's exit code.
    public func runtimeError(_ code: ExitCode, _ context: String) -> RuntimeError {
        if case let .system(error) = self { return RuntimeError(code, "\(context): \(error.message)", errno: error.errno, stage: error.stage) }
        return RuntimeError(code, "\(context): \(description)")
    }
}
