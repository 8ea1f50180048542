import LinuxSystem
import RuntimeBase
import StrictJSON
import YarnContract

/// The container index under the state root. Directories are root-owned 0700: tenants never see it.
public struct StateStore: Sendable {
    let system: any System
    public let root: AbsolutePath

    public init(system: any System, root: AbsolutePath) { self.system = system; self.root = root }

    var containers: AbsolutePath { get throws(RuntimeError) { try root.appending("containers") } }

    public func directory(for id: ContainerId) throws(RuntimeError) -> AbsolutePath { try containers.appending(id.value) }

    /// Creates the container's directory; fails if one exists (a container id is launched once at a time).
    public func create(_ id: ContainerId) throws(RuntimeError) -> AbsolutePath {
        try system.makeDirectory(root.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
        try system.makeDirectory(try containers.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
        let dir = try directory(for: id)
        if let existing = try system.fileStatus(dir.value, code: .runcSetupFailed) {
            if existing.kind == .directory, try system.fileStatus(try dir.appending("state.json").value) == nil {
                // Debris of a launch that failed before it recorded anything: no container can be behind it.
                try system.removeTree(dir.value, code: .runcSetupFailed)
            } else {
                throw RuntimeError(.runcSetupFailed, "container \(id) already exists; delete it first")
            }
        }
        try system.makeDirectory(dir.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
        return dir
    }

    public func save(_ record: ContainerRecord) throws(RuntimeError) {
        let file = try directory(for: record.id).appending("state.json")
        try system.writeFileAtomically(file.value, JSONWriter.encodeBytes(record.json), mode: 0o600, code: .generalFailure)
    }

    public func load(_ id: ContainerId) throws(RuntimeError) -> ContainerRecord? {
        let file = try directory(for: id).appending("state.json")
        guard try system.fileStatus(file.value) != nil else { return nil }
        let bytes = try system.readFile(file.value, maxBytes: 64 * 1024, code: .generalFailure)
        do { return try ContainerRecord(json: try JSONParser().parse(bytes)) } catch let error as JSONParser.ParseError {
            throw RuntimeError(.generalFailure, "container record \(id): \(error.description)")
        } catch let error as RuntimeError { throw error } catch { throw RuntimeError(.generalFailure, "container record \(id)") }
    }

    public func all() throws(RuntimeError) -> [ContainerRecord] {
        guard try system.fileStatus(try containers.value) != nil else { return [] }
        var records: [ContainerRecord] = []
        for name in try system.listDirectory(try containers.value, code: .generalFailure) {
            guard let id = try? ContainerId(name), let record = try? load(id) else { continue }
            records.append(record)
        }
        return records
    }

    public func remove(_ id: ContainerId) throws(RuntimeError) {
        try system.removeTree(try directory(for: id).value, code: .generalFailure)
    }
}
