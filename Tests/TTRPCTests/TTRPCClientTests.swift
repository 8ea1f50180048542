import Foundation
import Glibc
import LinuxSystem
import Testing
@testable import TTRPC

/// The client against a scripted in-test server on a real Unix socket: deadlines, closed peers, replies split
/// across writes, and late answers to other streams.
@Suite("ttrpc client over a unix socket")
struct TTRPCClientTests {
    /// Listens on a fresh socket path; `script` runs on a thread with the accepted connection's fd.
    final class ScriptedServer: @unchecked Sendable {
        let path: String
        let listener: Int32
        let done = DispatchSemaphore(value: 0)

        init(_ script: @escaping @Sendable (Int32) -> Void) throws {
            path = NSTemporaryDirectory() + "ttrpc-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0, listen(listener, 4) == 0 else { throw POSIXError(.EADDRINUSE) }
            // The thread holds the server: ARC must not close the listener (resetting the queued client
            // connection) while the test body no longer mentions `server`.
            Thread.detachNewThread { [self] in
                let connection = accept(listener, nil, nil)
                if connection >= 0 { script(connection); close(connection) }
                done.signal()
            }
        }

        deinit { close(listener); unlink(path) }

        /// Reads one whole frame (header + payload) from `fd`.
        static func readFrame(_ fd: Int32) -> (TTRPCFrameHeader, [UInt8])? {
            func exactly(_ n: Int) -> [UInt8]? {
                var out: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: n)
                while out.count < n {
                    let got = read(fd, &chunk, n - out.count)
                    if got <= 0 { return nil }
                    out += chunk[0..<got]
                }
                return out
            }
            guard let head = exactly(10), let header = TTRPCFrameHeader(parsing: head), let body = exactly(Int(header.length)) else { return nil }
            return (header, body)
        }

        static func reply(_ fd: Int32, stream: UInt32, payload: [UInt8]) {
            let body = (try? TTRPCEnvelope.encodeResponse(payload: payload)) ?? []
            let frame = TTRPCFrameHeader(length: UInt32(body.count), streamID: stream, type: .response).bytes + body
            _ = frame.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }

    @Test("echo: the request arrives intact with timeout_nano set, the reply comes back; ids go 1, 3")
    func echo() throws {
        let server = try ScriptedServer { fd in
            while let (header, body) = ScriptedServer.readFrame(fd) {
                guard let request = try? TTRPCEnvelope.decodeRequest(body) else { return }
                let echoed = Array("\(header.streamID):\(request.service)/\(request.method):\(request.timeoutNanos)".utf8) + request.payload
                ScriptedServer.reply(fd, stream: header.streamID, payload: echoed)
            }
        }
        let client = try TTRPCClient(socketPath: server.path, requirePeerUid: geteuid())
        #expect(client.peer.pid == getpid())
        let first = try client.call(service: "svc", method: "M", payload: [9], timeoutMilliseconds: 1500)
        #expect(first == Array("1:svc/M:1500000000".utf8) + [9])
        let second = try client.call(service: "svc", method: "N", payload: [], timeoutMilliseconds: nil)
        #expect(second == Array("3:svc/N:0".utf8))
    }

    @Test("no reply within the deadline is .timedOut, in about the deadline")
    func deadline() throws {
        let server = try ScriptedServer { fd in _ = ScriptedServer.readFrame(fd); usleep(1_500_000) }
        let client = try TTRPCClient(socketPath: server.path)
        let began = Date()
        #expect {
            try client.call(service: "svc", method: "Slow", payload: [], timeoutMilliseconds: 200)
        } throws: { error in
            if case .timedOut(let method, 200) = error as? TTRPCError { return method == "Slow" }
            return false
        }
        let elapsed = Date().timeIntervalSince(began)
        #expect(elapsed >= 0.19 && elapsed < 1.0)
    }

    @Test("a peer that closes before answering is .connectionClosed")
    func closed() throws {
        let server = try ScriptedServer { fd in _ = ScriptedServer.readFrame(fd) }
        let client = try TTRPCClient(socketPath: server.path)
        #expect {
            try client.call(service: "svc", method: "Shutdown", payload: [], timeoutMilliseconds: 2000)
        } throws: { error in
            if case .connectionClosed = error as? TTRPCError { return true }
            return false
        }
    }

    @Test("a reply split byte by byte, after a stray frame for another stream, is reassembled")
    func splitAndStray() throws {
        let server = try ScriptedServer { fd in
            guard let (header, _) = ScriptedServer.readFrame(fd) else { return }
            ScriptedServer.reply(fd, stream: header.streamID + 100, payload: [0xde, 0xad])
            let body = (try? TTRPCEnvelope.encodeResponse(payload: [1, 2, 3])) ?? []
            let frame = TTRPCFrameHeader(length: UInt32(body.count), streamID: header.streamID, type: .response).bytes + body
            for byte in frame { var b = byte; _ = write(fd, &b, 1); usleep(1000) }
        }
        let client = try TTRPCClient(socketPath: server.path)
        #expect(try client.call(service: "svc", method: "M", payload: [], timeoutMilliseconds: 3000) == [1, 2, 3])
    }

    @Test("a frame header announcing more than 4 MiB is refused without reading it")
    func oversized() throws {
        let server = try ScriptedServer { fd in
            guard let (header, _) = ScriptedServer.readFrame(fd) else { return }
            let head = TTRPCFrameHeader(length: UInt32(TTRPCFrameHeader.maxPayload + 1), streamID: header.streamID, type: .response).bytes
            _ = head.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            usleep(300_000)
        }
        let client = try TTRPCClient(socketPath: server.path)
        #expect {
            try client.call(service: "svc", method: "M", payload: [], timeoutMilliseconds: 2000)
        } throws: { error in
            if case .protocolViolation = error as? TTRPCError { return true }
            return false
        }
    }

    @Test("a server running as another uid is refused when the caller requires its own")
    func peerUid() throws {
        let server = try ScriptedServer { _ in }
        #expect(throws: TTRPCError.self) { try TTRPCClient(socketPath: server.path, requirePeerUid: geteuid() &+ 1) }
    }

    @Test("connecting to a path nobody listens on is a system error with errno")
    func refused() {
        #expect {
            try TTRPCClient(socketPath: "/nonexistent-dir/x.sock")
        } throws: { error in
            if case .system(let runtime) = error as? TTRPCError { return runtime.errno == ENOENT }
            return false
        }
    }
}
