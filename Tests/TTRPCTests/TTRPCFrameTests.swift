import Testing
@testable import TTRPC

/// Golden bytes observed on the wire between a client and containerd-shim-runc-v2 (docs: shimv2.md §1).
@Suite("ttrpc frames and envelopes")
struct TTRPCFrameTests {
    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Connect for id `life1`, exactly as the shim accepted it.
    static let observedConnectRequest = hex("0000002b 00000001 01 00") + hex("0a17") + ascii("containerd.task.v2.Task")
        + hex("1207") + ascii("Connect") + hex("1a07 0a05") + ascii("life1")
    /// The shim's answer: no status, payload = ConnectResponse{shim_pid = 31048}.
    static let observedConnectResponse = hex("00000006 00000001 02 00 12 04 08c8f201")

    @Test("header encodes big-endian length, stream id, type, flags")
    func headerBytes() {
        let header = TTRPCFrameHeader(length: 0x2b, streamID: 1, type: .request)
        #expect(header.bytes == Self.hex("0000002b 00000001 01 00"))
        let big = TTRPCFrameHeader(length: 0x0102_0304, streamID: 0x0506_0709, type: .response, flags: 0x04)
        #expect(big.bytes == Self.hex("01020304 05060709 02 04"))
    }

    @Test("header parses what it encodes, and needs ten bytes")
    func headerParse() throws {
        let parsed = try #require(TTRPCFrameHeader(parsing: Self.observedConnectResponse))
        #expect(parsed.length == 6 && parsed.streamID == 1 && parsed.messageType == .response && parsed.flags == 0)
        #expect(TTRPCFrameHeader(parsing: Self.hex("0000000600000001 02")) == nil)
    }

    @Test("Connect request frame matches the bytes the runc shim accepted")
    func connectRequestGolden() throws {
        let request = TTRPCRequest(service: "containerd.task.v2.Task", method: "Connect", payload: Self.hex("0a05") + Self.ascii("life1"))
        let frame = try TTRPCFrame.encode(streamID: 1, type: .request, payload: try TTRPCEnvelope.encode(request))
        #expect(frame == Self.observedConnectRequest)
    }

    @Test("observed Connect response decodes to its payload; absent status is OK")
    func connectResponseGolden() throws {
        let body = Array(Self.observedConnectResponse.dropFirst(TTRPCFrameHeader.size))
        #expect(try TTRPCEnvelope.decodeResponse(body) == Self.hex("08c8f201"))
    }

    @Test("a non-OK status becomes TTRPCError.status with the gRPC code")
    func statusError() throws {
        let bytes = try TTRPCEnvelope.encodeResponse(payload: [], status: (5, "container not created: not found"))
        #expect(bytes == Self.hex("0a 24 0805 1220") + Self.ascii("container not created: not found"))
        #expect {
            try TTRPCEnvelope.decodeResponse(bytes)
        } throws: { error in
            guard case let .status(code, raw, message) = error as? TTRPCError else { return false }
            return code == .notFound && raw == 5 && message == "container not created: not found"
        }
        let unknownCode = try TTRPCEnvelope.encodeResponse(payload: [], status: (99, "odd"))
        #expect(throws: TTRPCError.self) { try TTRPCEnvelope.decodeResponse(unknownCode) }
        // code 0 with a status present is still success
        #expect(try TTRPCEnvelope.decodeResponse(try TTRPCEnvelope.encodeResponse(payload: [7], status: (0, ""))) == [7])
    }

    @Test("request envelope round-trips timeout and metadata")
    func requestRoundTrip() throws {
        let request = TTRPCRequest(service: "containerd.services.events.ttrpc.v1.Events", method: "Forward", payload: [0, 1, 2, 255],
                                   timeoutNanos: 5_000_000_000,
                                   metadata: [TTRPCMetadata(key: "containerd-namespace-ttrpc", value: "kata-yarn")])
        let bytes = try TTRPCEnvelope.encode(request)
        #expect(try TTRPCEnvelope.decodeRequest(bytes) == request)
        // field 4 (timeout_nano) is a varint with tag 0x20
        #expect(bytes.contains(0x20))
    }

    @Test("even stream ids and payloads over 4 MiB are refused")
    func limits() {
        #expect(throws: TTRPCError.self) { try TTRPCFrame.encode(streamID: 2, type: .request, payload: []) }
        #expect(throws: TTRPCError.self) {
            try TTRPCFrame.encode(streamID: 1, type: .request, payload: [UInt8](repeating: 0, count: TTRPCFrameHeader.maxPayload + 1))
        }
        #expect((try? TTRPCFrame.encode(streamID: 1, type: .request, payload: [UInt8](repeating: 0, count: TTRPCFrameHeader.maxPayload)))?.count
            == TTRPCFrameHeader.maxPayload + 10)
    }

    @Test("garbage is a protocol violation, not a crash")
    func garbage() {
        #expect(throws: TTRPCError.self) { try TTRPCEnvelope.decodeResponse([0xff, 0xff, 0xff]) }
    }
}
