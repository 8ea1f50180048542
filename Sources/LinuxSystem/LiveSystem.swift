import CLinuxShim
import Glibc
import RuntimeBase

/// The one place that makes system calls. Everything above it gets facts and effects through this value, and
/// every failure comes back as a `RuntimeError` carrying the errno and the Hadoop exit code of the operation.
public struct LiveSystem: Sendable {
    public init() {}

    /// Maps a `-errno` return from the C shim to a `RuntimeError`.
    static func check(_ rc: Int32, _ code: ExitCode, _ what: @autoclosure () -> String) throws(RuntimeError) -> Int32 {
        if rc >= 0 { return rc }
        throw RuntimeError(code, "\(what()): \(errnoText(-rc))", errno: -rc)
    }

    public static func errnoText(_ value: Int32) -> String {
        guard let text = strerror(value) else { return "errno \(value)" }
        return String(cString: text).lowercased()
    }

    public static var lastErrno: Int32 { Glibc.errno }
}

extension Array where Element == String {
    /// NUL-terminated C string array for execve, kept alive for the duration of `body`.
    func withCStringArray<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> R) rethrows -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return try pointers.withUnsafeBufferPointer { buffer in
            try body(buffer.baseAddress!)
        }
    }
}
