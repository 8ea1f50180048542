import LinuxSystem
import RuntimeBase
import StrictJSON
import SwiftProtobuf

/// The two actions of a shim binary that run without any ttrpc: `start` (spawn the daemon, print its address)
/// and `delete` (clean up after a dead daemon). Both run with an explicit environment, stdin /dev/null (`start`
/// reads stdin to EOF) and stderr captured into our state directory.
struct ShimBootstrap: Sendable {
    let binary: AbsolutePath
    let namespace: String
    let publishBinary: AbsolutePath
    let environment: [String]
    let system: any System

    /// `<shim> -namespace <ns> -id <id> -address <addr> -publish-binary <p> start`; returns the printed address.
    /// cwd = the bundle itself, and no PWD: the daemon and every runc it runs inherit both, and runc resolves the
    /// rootfs against PWD, refusing a path that goes through a symlink such as our alias.
    func start(id: ContainerId, bundle: AbsolutePath, layout: ShimLayout) throws(RuntimeError) -> String {
        let arguments = [binary.value, "-namespace", namespace, "-id", id.value, "-address", try layout.containerdAddress.value,
                         "-publish-binary", publishBinary.value, "start"]
        let (status, output, errors) = try run(arguments, cwd: bundle, pwd: nil, layout: layout, code: .runcSetupFailed)
        guard status == 0 else {
            throw RuntimeError(.runcSetupFailed, "\(binary) start for \(id) exited with \(status): \(errors)")
        }
        return try Self.parseAddress(output, binary: binary)
    }

    /// `<shim> -namespace <ns> -id <id> -address <addr> -bundle <bundle> delete`: kills what is left of the
    /// container and unmounts the rootfs when the daemon is gone. Returns the DeleteResponse it prints, if any.
    /// It finds the bundle as `<dirname(cwd)>/<id>`, so cwd is the alias and PWD names it (Go's os.Getwd prefers
    /// PWD when it denotes the working directory).
    func delete(id: ContainerId, bundle: String, layout: ShimLayout) throws(RuntimeError) -> Containerd_Task_V2_DeleteResponse? {
        let alias = try layout.alias(for: id)
        let arguments = [binary.value, "-namespace", namespace, "-id", id.value, "-address", try layout.containerdAddress.value,
                         "-publish-binary", publishBinary.value, "-bundle", bundle, "delete"]
        let (status, output, errors) = try run(arguments, cwd: alias, pwd: alias, layout: layout, code: .generalFailure)
        guard status == 0 else {
            throw RuntimeError(.generalFailure, "\(binary) delete for \(id) exited with \(status): \(errors)")
        }
        return try? Containerd_Task_V2_DeleteResponse(serializedBytes: output)
    }

    private func run(_ arguments: [String], cwd: AbsolutePath, pwd: AbsolutePath?, layout: ShimLayout, code: ExitCode)
        throws(RuntimeError) -> (status: Int32, output: [UInt8], errors: String) {
        let errorsPath = try layout.bootstrapErrors.value
        try system.removeFile(errorsPath, code: code)
        let errorsFD = try system.openForAppend(errorsPath, mode: 0o600, owner: nil, code: code)
        defer { system.closeDescriptor(errorsFD) }
        let request = SpawnRequest(path: binary.value, arguments: arguments, environment: environment + (pwd.map { ["PWD=\($0.value)"] } ?? []),
                                   fdMap: [-1, -1, errorsFD], workingDirectory: cwd.value, ignoreHangup: true,
                                   umask: 0o022)   // the shim and the runc it runs make rootfs mountpoints users must traverse
        let result = try system.run(request, maxOutput: 64 << 10, code: code)
        let errors = (try? system.readFile(errorsPath, maxBytes: 1 << 20, code: code)) ?? []
        return (result.status, result.output, Self.lastLines(errors))
    }

    /// The bare `unix://…` form (containerd 1.x shims) or `{"address": …}` (2.x); whitespace trimmed as containerd does.
    static func parseAddress(_ output: [UInt8], binary: AbsolutePath) throws(RuntimeError) -> String {
        var text = Substring(String(decoding: output, as: UTF8.self))
        while let c = text.first, c.isWhitespace { text = text.dropFirst() }
        while let c = text.last, c.isWhitespace { text = text.dropLast() }
        var address = String(text)
        if text.hasPrefix("{") {
            guard let parsed = try? JSONParser().parse(String(text)), let value = parsed["address"]?.stringValue else {
                throw RuntimeError(.runcSetupFailed, "\(binary) start printed json without an address: \(Redact.short(String(text)))")
            }
            if let protocolName = parsed["protocol"]?.stringValue, protocolName != "ttrpc" {
                throw RuntimeError(.runcSetupFailed, "\(binary) speaks \(protocolName); only ttrpc shims are supported")
            }
            address = value
        }
        let path = address.dropFirst("unix://".count)
        guard address.hasPrefix("unix://"), path.hasPrefix("/") || path.hasPrefix("@"), path.utf8.count < 108 else {
            throw RuntimeError(.runcSetupFailed, "\(binary) start printed no usable unix socket address: \(Redact.short(address))")
        }
        return address
    }

    /// The end of a shim's stderr, one line, for an error message.
    static func lastLines(_ bytes: [UInt8]) -> String {
        let lines = String(decoding: bytes.suffix(2048), as: UTF8.self).split(whereSeparator: \.isNewline)
        let text = lines.suffix(3).joined(separator: " | ")
        return text.isEmpty ? "(no stderr)" : text
    }
}
