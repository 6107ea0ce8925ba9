import Foundation
import GRDB
import HullModel

/// One container as hulld keeps it (table `container`).
package struct ContainerRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "container"

    package var id: String
    package var name: String
    package var image: String
    package var state: ContainerState
    package var createdAt: Date
    package var startedAt: Date?
    package var finishedAt: Date?
    package var exitCode: Int32?
    package var exitReason: String?
    package var domain: String
    package var isolation: String
    /// What the container was created with (migration v4; before, the wire type
    /// CreateContainerRequest was stored as `request`): everything needed to start it again.
    package var spec: ContainerSpec
    /// The agent stream of the main process while it runs.
    var mainStream: Int64?
    /// The manifest digest the image resolved to at create: a start runs that image even
    /// when its tag has moved since (as Docker does), and `image rm` names this container.
    /// nil for `--rootfs` and for records of hulld before it kept this (migration v2).
    var imageDigest: String? = nil
    /// The last run ended with an OOM kill in the container (migration v3).
    package var oomKilled: Bool = false
    /// Its IPv4 address on its network, for its lifetime (migration v5); nil: none.
    package var address: String? = nil
    /// Its published ports as bound while it runs (migration v5).
    package var ports: [BoundPort]? = nil

    /// What a waiter hears once it exited.
    var waitResult: WaitResult { WaitResult(exitCode: exitCode ?? 0, exitReason: exitReason) }
}

/// hulld's state: SQLite through GRDB, with migrations. Every lifecycle transition is
/// written here before hulld acts on it, so a crash at any point leaves a state the next
/// start reconciles (ContainerManager.reconcile).
package final class StateStore: Sendable {
    private let db: DatabaseQueue

    package init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(5)
        // Every create request (environment included) is stored here: root's alone, and
        // SQLite gives its journal the database's mode.
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        _ = chmod(path, 0o600)
        db = try DatabaseQueue(path: path, configuration: config)
        try StateStore.migrator.migrate(db)
    }

    /// In memory, for unit tests of pure logic.
    init() throws {
        db = try DatabaseQueue()
        try StateStore.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: containers") { db in
            try db.create(table: "container") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull().unique()
                t.column("image", .text).notNull()
                t.column("state", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("startedAt", .datetime)
                t.column("finishedAt", .datetime)
                t.column("exitCode", .integer)
                t.column("exitReason", .text)
                t.column("domain", .text).notNull()
                t.column("isolation", .text).notNull()
                t.column("request", .jsonText).notNull()
                t.column("mainStream", .integer)
            }
        }
        m.registerMigration("v2: image digest") { db in
            try db.alter(table: "container") { t in t.add(column: "imageDigest", .text) }
        }
        m.registerMigration("v3: oomKilled") { db in
            try db.alter(table: "container") { t in
                t.add(column: "oomKilled", .boolean).notNull().defaults(to: false)
            }
        }
        m.registerMigration("v4: spec") { db in
            // The flat create body of Hull's API becomes the engine's ContainerSpec.
            try db.alter(table: "container") { t in t.add(column: "spec", .jsonText) }
            let rows = try Row.fetchAll(db, sql: "SELECT id, request FROM container")
            for row in rows {
                let id: String = row["id"]
                let request: String = row["request"]
                let spec = try StoredRequestV3.spec(fromJSON: Data(request.utf8))
                let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
                try db.execute(sql: "UPDATE container SET spec = ? WHERE id = ?", arguments: [json, id])
            }
            try db.alter(table: "container") { t in t.drop(column: "request") }
        }
        m.registerMigration("v5: network") { db in
            try db.alter(table: "container") { t in
                t.add(column: "address", .text)
                t.add(column: "ports", .jsonText)
            }
        }
        return m
    }

    func insert(_ record: ContainerRecord) throws {
        try db.write { try record.insert($0) }
    }

    func save(_ record: ContainerRecord) throws {
        try db.write { try record.update($0) }
    }

    /// Reads, changes and writes one record in a single write transaction, so that no
    /// other writer (the exit watcher, a stop) can slip between the read and the write
    /// and have its change overwritten. nil when there is no such record.
    func update<T>(id: String, _ change: (inout ContainerRecord) throws -> T) throws -> T? {
        try db.write { db in
            guard var record = try ContainerRecord.fetchOne(db, key: id) else { return nil }
            let before = record
            let result = try change(&record)
            if record != before { try record.update(db) }
            return result
        }
    }

    func delete(id: String) throws {
        _ = try db.write { try ContainerRecord.deleteOne($0, key: id) }
    }

    func all() throws -> [ContainerRecord] {
        try db.read { try ContainerRecord.order(Column("createdAt")).fetchAll($0) }
    }

    /// By full id, unique id prefix or name (Docker's rule).
    func find(_ reference: String) throws -> ContainerRecord? {
        try db.read { db in
            if let exact = try ContainerRecord.fetchOne(db, key: reference) { return exact }
            if let named = try ContainerRecord.filter(Column("name") == reference).fetchOne(db) { return named }
            guard reference.count >= 3, reference.allSatisfy(\.isHexDigit) else { return nil }
            let matches = try ContainerRecord.filter(Column("id").like("\(reference)%")).limit(2).fetchAll(db)
            return matches.count == 1 ? matches[0] : nil
        }
    }

    func nameTaken(_ name: String) throws -> Bool {
        try db.read { try ContainerRecord.filter(Column("name") == name).fetchCount($0) > 0 }
    }
}
