import SwiftProtobuf

/// A decoded ttrpc request envelope (the payload of a type-1 frame).
public struct TTRPCRequest: Sendable, Equatable {
    public var service: String
    public var method: String
    public var payload: [UInt8]
    /// Server-side deadline in nanoseconds; 0 means none.
    public var timeoutNanos: Int64
    public var metadata: [TTRPCMetadata]

    public init(service: String, method: String, payload: [UInt8], timeoutNanos: Int64 = 0, metadata: [TTRPCMetadata] = []) {
        self.service = service; self.method = method; self.payload = payload
        self.timeoutNanos = timeoutNanos; self.metadata = metadata
    }
}

public struct TTRPCMetadata: Sendable, Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

/// Encoding and decoding of the protobuf envelopes inside ttrpc frames.
public enum TTRPCEnvelope {
    public static func encode(_ request: TTRPCRequest) throws(TTRPCError) -> [UInt8] {
        var message = Ttrpc_Request()
        message.service = request.service
        message.method = request.method
        message.payload = .init(request.payload)
        message.timeoutNano = request.timeoutNanos
        message.metadata = request.metadata.map { item in
            var pair = Ttrpc_KeyValue()
            pair.key = item.key
            pair.value = item.value
            return pair
        }
        return try serialize(message)
    }

    public static func decodeRequest(_ bytes: [UInt8]) throws(TTRPCError) -> TTRPCRequest {
        let message: Ttrpc_Request = try parse(bytes)
        return TTRPCRequest(service: message.service, method: message.method, payload: [UInt8](message.payload),
                            timeoutNanos: message.timeoutNano,
                            metadata: message.metadata.map { TTRPCMetadata(key: $0.key, value: $0.value) })
    }

    /// A response envelope; `status` nil (or code 0) is success, as the shim sends it: no status field at all.
    public static func encodeResponse(payload: [UInt8], status: (code: Int32, message: String)? = nil) throws(TTRPCError) -> [UInt8] {
        var message = Ttrpc_Response()
        message.payload = .init(payload)
        if let status {
            var rpcStatus = Ttrpc_RPCStatus()
            rpcStatus.code = status.code
            rpcStatus.message = status.message
            message.status = rpcStatus
        }
        return try serialize(message)
    }

    /// The method's response payload, or the server's non-OK status as `TTRPCError.status`.
    public static func decodeResponse(_ bytes: [UInt8]) throws(TTRPCError) -> [UInt8] {
        let message: Ttrpc_Response = try parse(bytes)
        if message.hasStatus, message.status.code != 0 {
            let raw = message.status.code
            throw .status(code: TTRPCStatusCode(rawValue: raw), rawCode: raw, message: message.status.message)
        }
        return [UInt8](message.payload)
    }

    // MARK: protobuf helpers shared with method payloads

    public static func serialize<M: SwiftProtobuf.Message>(_ message: M) throws(TTRPCError) -> [UInt8] {
        do { return try message.serializedBytes() } catch { throw .protocolViolation("encode \(M.protoMessageName): \(error)") }
    }

    public static func parse<M: SwiftProtobuf.Message>(_ bytes: [UInt8], as type: M.Type = M.self) throws(TTRPCError) -> M {
        do { return try M(serializedBytes: bytes) } catch { throw .protocolViolation("decode \(M.protoMessageName): \(error)") }
    }
}
