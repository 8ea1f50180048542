import LinuxSystem
import RuntimeBase
import SwiftProtobuf

/// A synchronous ttrpc client over one Unix socket: one call in flight at a time, stream ids 1, 3, 5, …
/// The product is single-threaded, so a call blocks (in poll, bounded by its deadline) until its answer arrives.
public final class TTRPCClient {
    public let socketPath: String
    public let peer: PeerCredentials
    private let system: any System
    private var fd: Int32
    private var nextStreamID: UInt32 = 1
    /// Bytes read past the end of the last frame (the peer may answer in one write or several).
    private var pending: [UInt8] = []

    /// Connects; when `requirePeerUid` is set, refuses a server running as anyone else (a hijacked socket path).
    public init(socketPath: String, requirePeerUid: UInt32? = nil, system: any System = LiveSystem()) throws(TTRPCError) {
        self.socketPath = socketPath
        self.system = system
        let connected: Int32
        do { connected = try system.connectUnixSocket(socketPath, code: .generalFailure) } catch { throw .system(error) }
        fd = connected
        do { peer = try system.peerCredentials(connected, code: .generalFailure) } catch {
            system.closeDescriptor(connected)
            throw .system(error)
        }
        if let requirePeerUid, peer.uid != requirePeerUid {
            close()
            throw .system(RuntimeError(.generalFailure, "ttrpc server at \(socketPath) runs as uid \(peer.uid), expected \(requirePeerUid)"))
        }
    }

    deinit { system.closeDescriptor(fd) }

    /// Sends one request and returns the response payload.
    /// - timeoutMilliseconds: the client waits this long for the answer and asks the server to give up after it
    ///   too (`timeout_nano`); nil waits forever (Wait on a running task).
    public func call(service: String, method: String, payload: [UInt8], timeoutMilliseconds: Int?,
                     metadata: [TTRPCMetadata] = []) throws(TTRPCError) -> [UInt8] {
        guard fd >= 0 else { throw .connectionClosed(method: method) }
        let streamID = nextStreamID
        nextStreamID &+= 2
        let request = TTRPCRequest(service: service, method: method, payload: payload,
                                   timeoutNanos: Int64(timeoutMilliseconds ?? 0) * 1_000_000, metadata: metadata)
        let frame = try TTRPCFrame.encode(streamID: streamID, type: .request, payload: try TTRPCEnvelope.encode(request))
        do { try system.sendAll(fd, frame, code: .generalFailure) } catch {
            if error.errno == 32 || error.errno == 104 { throw .connectionClosed(method: method) }   // EPIPE, ECONNRESET
            throw .system(error)
        }
        let deadline = timeoutMilliseconds.map { system.monotonicNanoseconds() + UInt64(max($0, 0)) * 1_000_000 }
        while true {
            let (header, body) = try readFrame(method: method, deadline: deadline, timeoutMilliseconds: timeoutMilliseconds ?? 0)
            // One call in flight: anything else is a late answer to an abandoned call; skip it.
            guard header.streamID == streamID else { continue }
            guard header.messageType == .response else {
                throw .protocolViolation("expected a response on stream \(streamID), got frame type \(header.type)")
            }
            return try TTRPCEnvelope.decodeResponse(body)
        }
    }

    /// Typed convenience over `call` for protobuf request and response messages.
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        service: String, method: String, _ request: Request, as: Response.Type, timeoutMilliseconds: Int?
    ) throws(TTRPCError) -> Response {
        let payload = try call(service: service, method: method, payload: try TTRPCEnvelope.serialize(request),
                               timeoutMilliseconds: timeoutMilliseconds)
        return try TTRPCEnvelope.parse(payload)
    }

    public func close() {
        system.closeDescriptor(fd)
        fd = -1
    }

    private func readFrame(method: String, deadline: UInt64?, timeoutMilliseconds: Int) throws(TTRPCError) -> (TTRPCFrameHeader, [UInt8]) {
        try fill(TTRPCFrameHeader.size, method: method, deadline: deadline, timeoutMilliseconds: timeoutMilliseconds)
        guard let header = TTRPCFrameHeader(parsing: pending) else { throw .protocolViolation("short frame header") }
        let length = Int(header.length)
        guard length <= TTRPCFrameHeader.maxPayload else {
            close()   // the stream is now out of sync; nothing after this frame can be trusted
            throw .protocolViolation("frame of \(length) bytes exceeds the 4 MiB ttrpc limit")
        }
        try fill(TTRPCFrameHeader.size + length, method: method, deadline: deadline, timeoutMilliseconds: timeoutMilliseconds)
        let body = Array(pending[TTRPCFrameHeader.size..<(TTRPCFrameHeader.size + length)])
        pending.removeFirst(TTRPCFrameHeader.size + length)
        return (header, body)
    }

    /// Reads until `pending` holds at least `count` bytes, or the deadline passes, or the peer closes.
    private func fill(_ count: Int, method: String, deadline: UInt64?, timeoutMilliseconds: Int) throws(TTRPCError) {
        while pending.count < count {
            var remaining: Int?
            if let deadline {
                let now = system.monotonicNanoseconds()
                remaining = now >= deadline ? 0 : Int((deadline - now + 999_999) / 1_000_000)
            }
            let ready: Bool
            do { ready = try system.waitReadable(fd, timeoutMilliseconds: remaining, code: .generalFailure) } catch { throw .system(error) }
            guard ready else { throw .timedOut(method: method, milliseconds: timeoutMilliseconds) }
            let chunk: [UInt8]
            do { chunk = try system.readSome(fd, maxBytes: max(count - pending.count, 65536), code: .generalFailure) } catch {
                throw .system(error)
            }
            if chunk.isEmpty {
                close()
                throw .connectionClosed(method: method)
            }
            pending.append(contentsOf: chunk)
        }
    }
}
