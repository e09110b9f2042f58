/** An actor's snapshots as an RxJS Observable: the current one on subscribe, then every change. */
import { Observable } from 'rxjs';
import type { AnyActorRef, SnapshotFrom } from 'xstate';

export function snapshots<TActor extends AnyActorRef>(actor: TActor): Observable<SnapshotFrom<TActor>> {
  return new Observable<SnapshotFrom<TActor>>((subscriber) => {
    subscriber.next(actor.getSnapshot());
    const subscription = actor.subscribe({
      next: (snapshot) => subscriber.next(snapshot),
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    return () => subscription.unsubscribe();
  });
}
