/// Ids and paths, the types every layer passes around (here, not in YarnContract, so that the generic OCI drivers
/// need nothing of the YARN contract). NodeManager strings become these types at the edge ("parse, don't validate"): no raw id or path reaches a syscall.
public struct ContainerId: Sendable, Hashable, CustomStringConvertible {
    public let value: String
    public let applicationId: ApplicationId

    /// `container_[eNN_]<clusterTimestamp>_<app>_<attempt>_<n>`, as Hadoop's `validate_container_id` accepts it.
    public init(_ raw: String) throws(RuntimeError) {
        let parts = raw.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard raw.utf8.count <= 128, parts.count == 5 || parts.count == 6, parts[0] == "container" else {
            throw RuntimeError(.invalidContainerId, "invalid container id: \(Redact.short(raw))")
        }
        var digits = Array(parts.dropFirst())
        if parts.count == 6 {
            let epoch = digits.removeFirst()
            guard epoch.first == "e", epoch.count > 1, epoch.dropFirst().allSatisfy(\.isASCIIDigit) else {
                throw RuntimeError(.invalidContainerId, "invalid container id: \(Redact.short(raw))")
            }
        }
        guard digits.allSatisfy({ !$0.isEmpty && $0.count <= 19 && $0.allSatisfy(\.isASCIIDigit) }) else {
            throw RuntimeError(.invalidContainerId, "invalid container id: \(Redact.short(raw))")
        }
        value = raw
        applicationId = ApplicationId(uncheckedTimestamp: digits[0], sequence: digits[1])
    }

    public var description: String { value }
}

public struct ApplicationId: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    init(uncheckedTimestamp: String, sequence: String) { value = "application_\(uncheckedTimestamp)_\(sequence)" }

    /// `application_<clusterTimestamp>_<sequence>`.
    public init(_ raw: String) throws(RuntimeError) {
        let parts = raw.split(separator: "_", omittingEmptySubsequences: false)
        guard raw.utf8.count <= 64, parts.count == 3, parts[0] == "application",
              parts.dropFirst().allSatisfy({ !$0.isEmpty && $0.count <= 19 && $0.allSatisfy(\.isASCIIDigit) }) else {
            throw RuntimeError(.invalidArgumentNumber, "invalid application id: \(Redact.short(raw))")
        }
        value = raw
    }

    public var description: String { value }
}

/// A POSIX user name as `useradd` allows it (dots allowed, so `/../` is checked by the path type instead).
public struct UserName: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init(_ raw: String) throws(RuntimeError) {
        guard !raw.isEmpty, raw.utf8.count <= 32, raw != ".", raw != "..", raw.first != "-",
              raw.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) || (raw.hasSuffix("$") && raw.dropLast().allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })) else {
            throw RuntimeError(.generalFailure, "invalid user name: \(Redact.short(raw))")
        }
        value = raw
    }

    public var description: String { value }
}

/// An absolute, normalised path: no `.`/`..` components, no empty components, no NUL, bounded length.
public struct AbsolutePath: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init(_ raw: String, code: ExitCode = .invalidArgumentNumber) throws(RuntimeError) {
        guard raw.hasPrefix("/"), raw.utf8.count <= 4095, !raw.utf8.contains(0) else {
            throw RuntimeError(code, "not an absolute path: \(Redact.short(raw))")
        }
        let components = Self.split(raw)
        guard !components.contains(where: { $0 == "." || $0 == ".." || $0.utf8.count > 255 }) else {
            throw RuntimeError(code, "path has '.' or '..' components: \(Redact.short(raw))")
        }
        value = "/" + components.joined(separator: "/")
    }

    private init(normalised: String) { value = normalised }

    public var components: [String] { Self.split(value) }

    /// Splits on `/` bytes: a `/` byte is never part of a longer UTF-8 sequence, and byte splitting is an order
    /// of magnitude cheaper than splitting Characters (the launcher splits dozens of paths per launch).
    static func split(_ text: String) -> [String] {
        text.utf8.split(separator: UInt8(ascii: "/")).map { String(decoding: $0, as: UTF8.self) }
    }
    public var lastComponent: String { components.last ?? "/" }
    public var parent: AbsolutePath {
        let parts = components.dropLast()
        return AbsolutePath(normalised: "/" + parts.joined(separator: "/"))
    }

    /// Appends one plain file name (no slash, not `.`/`..`).
    public func appending(_ name: String) throws(RuntimeError) -> AbsolutePath {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", name.utf8.count <= 255 else {
            throw RuntimeError(.invalidArgumentNumber, "invalid path component: \(Redact.short(name))")
        }
        return AbsolutePath(normalised: value == "/" ? "/" + name : value + "/" + name)
    }

    /// True when `self` is `other` or lies below it (compared by components, so `/data2` is not under `/data`).
    public func isWithin(_ other: AbsolutePath) -> Bool {
        let mine = components, theirs = other.components
        return mine.count >= theirs.count && Array(mine.prefix(theirs.count)) == theirs
    }

    public var description: String { value }
}

public enum Redact {
    /// Bounded, printable echo of hostile input for error messages.
    public static func short(_ raw: String) -> String {
        let printable = raw.unicodeScalars.prefix(96).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "?" }.joined()
        return raw.unicodeScalars.count > 96 ? printable + "…" : printable
    }
}

extension Character {
    package var isASCIIDigit: Bool { isASCII && isNumber }
}
