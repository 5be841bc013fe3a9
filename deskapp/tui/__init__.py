"""The desk on the terminal (Textual).

One worker idiom: anything that blocks (the database, the rules, opening the
desk) runs in a method decorated `@work(thread=True, group=...)` that posts a
Message with its answer; the widget handles that message on the UI thread.
Threads never touch widgets. Where a newer request replaces an older one the
group is `exclusive=True` (the older worker is cancelled: it finishes its
read, but does not post) and the message carries what it answers (its worker,
its queue), so an answer that arrives after a newer request started is
dropped, never shown: see QueueView._Ready and forms.base.Previewed.
"""
