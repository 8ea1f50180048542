import RuntimeBase

/// Where a path handed to delete-as-user (3) or list-as-user (5) may lie: beneath one of the NodeManager's roots,
/// in the places Hadoop's layout gives the run-as user. Operations 3 and 5 name no roots, so the root is read off
/// the path itself, and the caller then checks that root on disk as it checks the roots of operations 0 and 1.
public enum NodeManagerPaths {
    /// Where a path lies in Hadoop's layout, and so which directory must be a NodeManager root.
    public enum Place: Sendable, Equatable {
        /// `<root>/usercache/<user>/…`, or a `usercache_DEL_<ts>` the NodeManager renamed at start-up.
        case userCache(root: AbsolutePath)
        /// `<root>/<application id>/…`: a log root.
        case applicationLogs(root: AbsolutePath)
    }

    /// The place of `path` for `user`, or nil when it lies in neither (then it is outside every NodeManager root).
    public static func place(of path: AbsolutePath, user: String) -> Place? {
        let parts = path.components
        if let index = parts.indices.dropLast().last(where: { isUserCache(parts[$0]) && parts[$0 + 1] == user }),
           let root = root(parts, upTo: index) {
            return .userCache(root: root)
        }
        if let index = parts.indices.first(where: { isApplicationId(parts[$0]) }), let root = root(parts, upTo: index) {
            return .applicationLogs(root: root)
        }
        return nil
    }

    /// The first `index` components as a path; nil for `/` itself, which is never a NodeManager root.
    static func root(_ parts: [String], upTo index: Int) -> AbsolutePath? {
        index > 0 ? try? AbsolutePath("/" + parts[..<index].joined(separator: "/")) : nil
    }

    static func isUserCache(_ name: String) -> Bool {
        if name == "usercache" { return true }
        let prefix = "usercache_DEL_"
        return name.hasPrefix(prefix) && name.count > prefix.count && name.dropFirst(prefix.count).allSatisfy(\.isASCIIDigit)
    }

    static func isApplicationId(_ name: String) -> Bool { (try? ApplicationId(name)) != nil }
}
