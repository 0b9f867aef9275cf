extension SQLiteAccountDirectory {
    public func addSendAs(account: String, address: String) throws {
        // CONTRACT (helper "directory"): implement.
        fatalError("unimplemented")
    }

    public func removeSendAs(account: String, address: String) throws {
        // CONTRACT (helper "directory"): implement.
        fatalError("unimplemented")
    }

    public func listSendAs(account: String?) throws -> [SendAsGrant] {
        // CONTRACT (helper "directory"): implement.
        fatalError("unimplemented")
    }
}
