/// The one error type that crosses module boundaries. Every failure carries the Hadoop exit code it maps to,
/// a lower-case message naming the operation and the path or id involved, and optionally the errno seen.
public struct RuntimeError: Error, Sendable, CustomStringConvertible {
    public let code: ExitCode
    public let message: String
    public let errno: Int32?
    /// What was being done when it failed (e.g. "write pid file"), like vmexec's stage.
    public let stage: String?

    public init(_ code: ExitCode, _ message: String, errno: Int32? = nil, stage: String? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
        self.stage = stage
    }

    public var description: String {
        var text = message
        if let stage { text = "\(stage): \(text)" }
        if let errno { text += " (errno \(errno))" }
        return text
    }

    /// Re-labels an error from a lower layer with the code of the operation that failed.
    public func withCode(_ newCode: ExitCode) -> RuntimeError {
        RuntimeError(newCode, message, errno: errno, stage: stage)
    }
}
