"""The submission portal (`pipeline serve`): offices upload files, see the receipt at once, follow their history."""
