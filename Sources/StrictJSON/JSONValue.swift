/// A JSON document model without Foundation (the setuid binary must not link it; see docs/security.md).
/// Objects are dictionaries; the encoder sorts keys, so every document we write is byte-for-byte deterministic.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// Numbers keep their source text so that 64-bit integers survive a round trip exactly.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public static func int(_ value: Int64) -> JSONValue { .number(String(value)) }
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }
    public static func int(_ value: UInt32) -> JSONValue { .number(String(value)) }
    public static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    public var int64Value: Int64? { if case .number(let n) = self { return Int64(n) }; return nil }

    public subscript(key: String) -> JSONValue? { objectValue?[key] }
}
