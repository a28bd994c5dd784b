//go:build !linux

package codepages
