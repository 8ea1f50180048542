import LinuxSystem
import OCISpec
import RuntimeBase
import StrictJSON

/// What the driver reads from the bundle's config.json before starting a shim: the annotations that decide
/// whether the shim makes a new sandbox (one per YARN container, always) and how big a Kata VM it asks for.
struct ShimBundleFacts: Sendable, Equatable {
    static let runcGroup = "io.containerd.runc.v2.group"

    var vcpus: UInt32?
    var memoryMiB: UInt64?
    var sharedFilesystem: String?
    /// Every `io.katacontainers.config.hypervisor.*` annotation the bundle sets (Kata checks each one).
    var hypervisorAnnotations: [String] = []
    /// The bundle asks for a seccomp profile (`linux.seccomp`).
    var seccomp = false

    static func read(bundle: AbsolutePath, id: ContainerId, system: any System) throws(RuntimeError) -> ShimBundleFacts {
        let path = try bundle.appending("config.json").value
        let bytes = try system.readFile(path, maxBytes: 4 << 20, code: .runcSetupFailed)
        let document: JSONValue
        do { document = try JSONParser(limits: .init(maxBytes: 4 << 20, maxDepth: 64)).parse(bytes) } catch {
            throw RuntimeError(.runcSetupFailed, "\(path): \(error)")
        }
        var facts = try facts(annotations: document["annotations"]?.objectValue ?? [:], id: id, path: path)
        if let seccomp = document["linux"]?["seccomp"], seccomp != .null { facts.seccomp = true }
        return facts
    }

    /// A shim shares one daemon (and, for Kata, one VM) among bundles naming the same sandbox or group. A YARN
    /// container must never join another one's: refuse any annotation that would point elsewhere.
    static func facts(annotations: [String: JSONValue], id: ContainerId, path: String) throws(RuntimeError) -> ShimBundleFacts {
        func text(_ key: String) -> String? { annotations[key]?.stringValue }
        for key in [KataAnnotation.sandboxID, runcGroup] {
            if let value = text(key), value != id.value {
                throw RuntimeError(.runcSetupFailed, "\(path): annotation \(key)=\(Redact.short(value)) would join another container's shim; it must be \(id) or absent")
            }
        }
        if let type = text(KataAnnotation.containerType), type != "sandbox" {
            throw RuntimeError(.runcSetupFailed, "\(path): annotation \(KataAnnotation.containerType)=\(Redact.short(type)); each YARN container must be its own sandbox")
        }
        var facts = ShimBundleFacts()
        if let raw = text(KataAnnotation.defaultVCPUs) {
            guard let value = UInt32(raw), value > 0 else { throw RuntimeError(.runcSetupFailed, "\(path): \(KataAnnotation.defaultVCPUs) is not a positive number: \(Redact.short(raw))") }
            facts.vcpus = value
        }
        if let raw = text(KataAnnotation.defaultMemoryMiB) {
            guard let value = UInt64(raw), value > 0 else { throw RuntimeError(.runcSetupFailed, "\(path): \(KataAnnotation.defaultMemoryMiB) is not a positive number: \(Redact.short(raw))") }
            facts.memoryMiB = value
        }
        facts.sharedFilesystem = text(KataAnnotation.sharedFS)
        facts.hypervisorAnnotations = annotations.keys.filter { $0.hasPrefix("io.katacontainers.config.hypervisor.") }.sorted()
        return facts
    }

    /// "2 vCPU, 1280 MiB" for messages; empty when the bundle asks nothing of the VM.
    var vmSummary: String {
        [vcpus.map { "\($0) vCPU" }, memoryMiB.map { "\($0) MiB" }, sharedFilesystem].compactMap { $0 }.joined(separator: ", ")
    }
}
