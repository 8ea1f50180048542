/// One ttrpc frame header: 10 bytes, big-endian, in front of every protobuf payload.
/// `length` counts the payload only; the header is not included.
public struct TTRPCFrameHeader: Sendable, Equatable {
    public static let size = 10
    /// A receiver refuses (and a sender must not send) payloads above 4 MiB.
    public static let maxPayload = 4 << 20

    public enum MessageType: UInt8, Sendable {
        case request = 1
        case response = 2
        /// ttrpc ≥ 1.2 streaming data; a unary client never expects one.
        case data = 3
    }

    public var length: UInt32
    /// Client-chosen, odd; the response carries the request's id.
    public var streamID: UInt32
    public var type: UInt8
    public var flags: UInt8

    public init(length: UInt32, streamID: UInt32, type: MessageType, flags: UInt8 = 0) {
        self.length = length; self.streamID = streamID; self.type = type.rawValue; self.flags = flags
    }

    public init(length: UInt32, streamID: UInt32, rawType: UInt8, flags: UInt8) {
        self.length = length; self.streamID = streamID; self.type = rawType; self.flags = flags
    }

    public var messageType: MessageType? { MessageType(rawValue: type) }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.size)
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: streamID >> UInt32(shift))) }
        out.append(type)
        out.append(flags)
        return out
    }

    /// Parses the first 10 bytes of `bytes`; nil when fewer are given.
    public init?<Bytes: Collection>(parsing bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count >= Self.size else { return nil }
        let b = Array(bytes.prefix(Self.size))
        func word(_ at: Int) -> UInt32 {
            UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
        }
        self.init(length: word(0), streamID: word(4), rawType: b[8], flags: b[9])
    }
}

public enum TTRPCFrame {
    /// Header + payload, ready to write. Refuses what a conforming peer would discard.
    public static func encode(streamID: UInt32, type: TTRPCFrameHeader.MessageType, payload: [UInt8]) throws(TTRPCError) -> [UInt8] {
        guard payload.count <= TTRPCFrameHeader.maxPayload else {
            throw .protocolViolation("payload of \(payload.count) bytes exceeds the 4 MiB ttrpc limit")
        }
        guard streamID % 2 == 1 else { throw .protocolViolation("client stream ids must be odd, not \(streamID)") }
        return TTRPCFrameHeader(length: UInt32(payload.count), streamID: streamID, type: type).bytes + payload
    }
}
