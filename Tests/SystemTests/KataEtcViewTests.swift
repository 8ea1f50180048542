import BundleBuilder
import Foundation
import Glibc
import LinuxSystem
import RuntimeBase
@testable import RuntimeCore
import RuntimeDrivers
import Testing
import YarnContract

/// The Kata bundle's own /etc (BundlePlanner.etcView, materialised by EtcViewWriter) run for real under the runc
/// shim: the container sees the generated hosts file and the host's other /etc entries, with no file bind anywhere.
@Suite("kata /etc view under the real runc shim", .serialized,
       .enabled(if: ShimFixture.available, "needs root, /usr/bin/containerd-shim-runc-v2 and runc"))
struct KataEtcViewTests {
    @Test("generated hosts, host passwd and os-release through the view; localtime stays a link naming its zone; host /etc/hosts untouched")
    func etcView() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, out, err) = try workspace.bundle(id, script:
            "cat /etc/hosts; echo ---; grep -c . /etc/passwd; echo ---; head -1 /etc/os-release; echo ---; readlink /etc/localtime; echo ---; grep -c ' /etc/' /proc/self/mountinfo || true")
        let hosts = workspace.root + "/" + id.value + "/hosts"
        try "10.244.1.7\tc-1\n127.0.0.1\tlocalhost\n".write(toFile: hosts, atomically: true, encoding: .utf8)
        let hostHostsBefore = ShimFixture.read("/etc/hosts")
        let view = EtcView(source: try AbsolutePath("/etc"), sourceMount: BundlePlanner.etcSourceMount,
                           directory: try request.bundle.appending("etc"), files: ["hosts": try AbsolutePath(hosts)])
        try EtcViewWriter.write(view, system: LiveSystem())

        // The fixture binds the host's /etc; replace that by the two directory binds the planner writes for kata.
        let config = request.bundle.value + "/config.json"
        var spec = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config))) as! [String: Any]
        var mounts = (spec["mounts"] as! [[String: Any]]).filter { ($0["destination"] as? String) != "/etc" }
        mounts.append(["destination": "/.kyr-etc", "type": "bind", "source": "/etc", "options": ["rbind", "ro", "nosuid", "nodev", "rprivate"]])
        mounts.append(["destination": "/etc", "type": "bind", "source": view.directory.value, "options": ["bind", "ro", "nosuid", "nodev", "rprivate"]])
        spec["mounts"] = mounts
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: config))

        let started = try workspace.driver.start(request)
        #expect(try workspace.driver.wait(started) == 0, "\(ShimFixture.read(err))")
        try workspace.driver.delete(id: id)
        let parts = ShimFixture.read(out).components(separatedBy: "---\n")
        #expect(parts.count == 5, "\(ShimFixture.read(out)) \(ShimFixture.read(err))")
        guard parts.count == 5 else { return }
        #expect(parts[0] == "10.244.1.7\tc-1\n127.0.0.1\tlocalhost\n")
        let hostPasswd = ShimFixture.read("/etc/passwd").split(separator: "\n").filter { !$0.isEmpty }.count
        #expect(parts[1] == "\(hostPasswd)\n")
        #expect(parts[2] == (ShimFixture.read("/etc/os-release").split(separator: "\n").first.map { $0 + "\n" } ?? ""))
        let localtime = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/etc/localtime")) ?? ""
        #expect(parts[3] == (localtime.isEmpty ? "" : localtime + "\n"), "a host symlink is copied as is")
        #expect(parts[4] == "0\n", "no mount at all below /etc in the container: nothing for Kata's agent to truncate")
        #expect(ShimFixture.read("/etc/hosts") == hostHostsBefore)
        let entries = try FileManager.default.contentsOfDirectory(atPath: "/etc").count
        #expect(try FileManager.default.contentsOfDirectory(atPath: view.directory.value).count == entries)
    }
}
