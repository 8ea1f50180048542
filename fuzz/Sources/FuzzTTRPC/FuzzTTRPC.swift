import RuntimeBase
import TTRPCWire

/// What the shim v2 driver reads from a shim's socket: a byte stream of ttrpc frames (10-byte header, payload
/// ≤ 4 MiB) whose payloads are protobuf Response/Request envelopes. This replays TTRPCClient.readFrame's framing
/// over the input and decodes every payload both ways; nothing may crash, and valid frames must round-trip.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var pending = Array(UnsafeBufferPointer(start: data, count: size))
    var frames = 0
    while frames < 64, let header = TTRPCFrameHeader(parsing: pending) {
        precondition(header.bytes == Array(pending.prefix(TTRPCFrameHeader.size)), "header does not round-trip")
        let length = Int(header.length)
        guard length <= TTRPCFrameHeader.maxPayload else { break }       // the client closes the stream here
        guard pending.count >= TTRPCFrameHeader.size + length else { break }   // the client waits for more
        let body = Array(pending[TTRPCFrameHeader.size..<(TTRPCFrameHeader.size + length)])
        pending.removeFirst(TTRPCFrameHeader.size + length)
        frames += 1
        switch header.messageType {
        case .response?:
            if let payload = try? TTRPCEnvelope.decodeResponse(body) {
                let again = try! TTRPCEnvelope.encodeResponse(payload: payload)
                precondition((try? TTRPCEnvelope.decodeResponse(again)) == payload, "response payload does not round-trip")
            }
        case .request?:
            if let request = try? TTRPCEnvelope.decodeRequest(body) {
                let again = try! TTRPCEnvelope.encode(request)
                precondition((try? TTRPCEnvelope.decodeRequest(again)) == request, "request does not round-trip")
            }
        default:
            _ = try? TTRPCEnvelope.decodeResponse(body)
        }
        if header.streamID % 2 == 1, let frame = try? TTRPCFrame.encode(streamID: header.streamID, type: .response, payload: body) {
            precondition(TTRPCFrameHeader(parsing: frame)?.length == UInt32(body.count))
        }
    }
    return 0
}
