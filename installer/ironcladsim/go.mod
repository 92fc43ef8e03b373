// A module of its own, built only in a workspace with the agent's module
// (installer/check.sh makes one in a temporary folder): it imports the
// agent's simulator, and neither the agent's nor the installer's module
// graph takes anything from the other.
module github.com/agentsync/agent/installer/ironcladsim

go 1.26.0
